"""``planwatch alerts``: list, acknowledge and silence alerts through the API; check a routing file.

The commands talk to a running alerts service over HTTP with an API key, as any client does;
``check-routes`` loads a routing file with the service's own loader.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["register"]

alerts_app = typer.Typer(help="Alerts: list, acknowledge, silence; check a routing file.")
out, err = Console(), Console(stderr=True)

Url = Annotated[str, typer.Option(help="alerts service", envvar="PLANWATCH_ALERTS_URL")]
Key = Annotated[str, typer.Option(envvar="PLANWATCH_KEY", help="API key")]


def _call(method: str, url: str, key: str, path: str, **kw: Any) -> Any:
    import httpx

    if not key:
        err.print("[red]no key: pass --key or set PLANWATCH_KEY[/red]")
        raise typer.Exit(2)
    try:
        response = httpx.request(
            method,
            f"{url.rstrip('/')}{path}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
            **kw,
        )
    except httpx.HTTPError as exc:
        err.print(f"[red]{url}: {exc}[/red]")
        raise typer.Exit(1) from None
    if response.status_code >= 400:
        err.print(f"[red]{response.status_code}: {response.text}[/red]")
        raise typer.Exit(1)
    return response.json()


@alerts_app.command("list")
def list_alerts(
    url: Url = "http://127.0.0.1:8082",
    key: Key = "",
    state: Annotated[str | None, typer.Option(help="open, acknowledged, silenced or resolved")] = (
        None
    ),
    jurisdiction: Annotated[str | None, typer.Option(help="only this jurisdiction")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON")] = False,
) -> None:
    """Alerts, newest first, with their last notification."""
    params = {k: v for k, v in {"state": state, "jurisdiction": jurisdiction}.items() if v}
    found = _call("GET", url, key, "/v1/alerts", params=params)
    if as_json:
        out.print_json(json.dumps(found, ensure_ascii=False))
        return
    table = Table("id", "indicator", "jurisdiction", "status", "severity", "state", "agencies",
                  "last notification")  # fmt: skip
    for a in found:
        last = a["notifications"][-1] if a["notifications"] else None
        told = f"{last['state']} → {', '.join(last['to'])}" if last else "—"
        table.add_row(
            str(a["id"]), a["indicator_id"], a["jurisdiction"], a["status"], a["severity"],
            a["state"], "、".join(a["agencies"]), told,
        )  # fmt: skip
    out.print(table)


@alerts_app.command("ack")
def acknowledge(
    alert_id: Annotated[int, typer.Argument(help="alert id")],
    by: Annotated[str, typer.Option(help="who acknowledges")],
    comment: Annotated[str | None, typer.Option(help="what is being done")] = None,
    url: Url = "http://127.0.0.1:8082",
    key: Key = "",
) -> None:
    """Acknowledge an alert: no more repeats or escalation."""
    found = _call(
        "POST", url, key, f"/v1/alerts/{alert_id}/ack", json={"by": by, "comment": comment}
    )
    out.print(f"alert {found['id']}: {found['state']} by {found['acknowledged_by']}")


@alerts_app.command("silence")
def silence(
    alert_id: Annotated[int, typer.Argument(help="alert id")],
    by: Annotated[str, typer.Option(help="who silences")],
    reason: Annotated[str, typer.Option(help="why")],
    hours: Annotated[float, typer.Option(help="for how long", min=0.01)] = 24.0,
    url: Url = "http://127.0.0.1:8082",
    key: Key = "",
) -> None:
    """Silence an alert for some hours, with a reason."""
    until = (datetime.now(UTC) + timedelta(hours=hours)).isoformat()
    body = {"by": by, "reason": reason, "until": until}
    found = _call("POST", url, key, f"/v1/alerts/{alert_id}/silence", json=body)
    out.print(f"alert {found['id']}: silenced until {found['silenced_until']}")


@alerts_app.command("check-routes")
def check_routes(
    file: Annotated[Path, typer.Argument(help="routing YAML", exists=True, dir_okay=False)],
) -> None:
    """Load a routing file as the service would, and print its receivers and rules."""
    from planwatch_alerts.routing import RoutingError, load_routing

    try:
        routing = load_routing(file)
    except RoutingError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    config = routing.config
    out.print(f"{file}: valid")
    out.print(f"  receivers: {', '.join(routing.receivers) or '(lead-agency only)'}")
    out.print(f"  contacts: {len(config.contacts)}, inhibit rules: {len(config.inhibit_rules)}")
    if config.escalation:
        e = config.escalation
        out.print(f"  escalation: {'/'.join(e.severities)} after {e.after} → {e.receiver}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the planwatch command."""
    app.add_typer(alerts_app, name="alerts")
