"""``planwatch report``: the 督查通报 of a plan or a jurisdiction, as PDF or XLSX, and by e-mail.

On demand: ``planwatch report --plan gsbase --period 2025-Q3 -o report.pdf``. Scheduled (cron or
a systemd timer, monthly or quarterly): ``--period latest --every quarter`` reports the last
complete quarter, and ``--mail-to`` (or ``PLANWATCH_REPORT_TO``) sends it to the leadership
list. The figures are read where the board reads them (the embedded store or InfluxDB, by the
board's settings), the agencies' answers from the alerts API with a key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register"]

Opt = typer.Option


def _alerts(url: str, key: str, plan: str | None, jurisdiction: str | None) -> list[Any] | None:
    import httpx

    if not key:
        typer.echo("no key for the alerts API (--key / PLANWATCH_KEY): answers left out", err=True)
        return None
    params = {"plan": plan} if plan else {"jurisdiction": jurisdiction}
    try:
        response = httpx.get(
            f"{url.rstrip('/')}/v1/alerts",
            params=params,
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        typer.echo(f"alerts-url: {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    if response.status_code != 200:
        typer.echo(f"alerts-url: {response.status_code}: {response.text}", err=True)
        raise typer.Exit(1)
    return list(response.json())


def report(
    out: Annotated[Path, Opt("-o", "--out", help="file to write: .pdf or .xlsx")],
    plan: Annotated[str | None, Opt(help="plan code (e.g. gsbase)")] = None,
    jurisdiction: Annotated[str | None, Opt(help="a jurisdiction instead of a plan")] = None,
    period: Annotated[
        str, Opt(help="2025-Q3, 2025-07, or latest (the last complete --every period)")
    ] = "latest",
    every: Annotated[str, Opt(help="month or quarter (for --period latest)")] = "quarter",
    alerts_url: Annotated[
        str, Opt(envvar="PLANWATCH_ALERTS_URL", help="alerts service, for the answers")
    ] = "http://127.0.0.1:8082",
    key: Annotated[str, Opt(envvar="PLANWATCH_KEY", help="API key for the alerts API")] = "",
    mail_to: Annotated[
        list[str] | None,
        Opt(envvar="PLANWATCH_REPORT_TO", help="leadership address (repeat for more)"),
    ] = None,
    smtp_host: Annotated[str, Opt(envvar="PLANWATCH_ALERTS_SMTP_HOST")] = "127.0.0.1",
    smtp_port: Annotated[int, Opt(envvar="PLANWATCH_ALERTS_SMTP_PORT")] = 2525,
    smtp_from: Annotated[str, Opt(envvar="PLANWATCH_ALERTS_SMTP_FROM")] = "planwatch@localhost",
) -> None:
    """Write the 督查通报 of a plan or jurisdiction for a period (and e-mail it)."""
    from planwatch.reports.mail import last_complete_period, send_report
    from planwatch.reports.model import ReportError, build_report, report_period
    from planwatch.reports.render import write_report
    from planwatch_board.app import reader_from
    from planwatch_board.settings import Settings as BoardSettings

    if out.suffix.lower() not in (".pdf", ".xlsx"):
        typer.echo(f"-o: {out.name!r} must end in .pdf or .xlsx", err=True)
        raise typer.Exit(2)
    now = datetime.now(UTC)
    try:
        label = last_complete_period(now.date(), every) if period == "latest" else period
        chosen = report_period(label)
        board = BoardSettings()
        reader = reader_from(board)
        built = build_report(
            board.common.catalog(),
            chosen,
            reader.observations,
            _alerts(alerts_url, key, plan, jurisdiction),
            now,
            plan=plan,
            jurisdiction=jurisdiction,
        )
    except (ReportError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    write_report(built, out)
    counts = built.counts()
    typer.echo(
        f"wrote {out}: {built.title} {chosen.label}, {len(built.standings)} indicators "
        + ", ".join(f"{g} {n}" for g, n in counts.items())
    )
    addresses = [a.strip() for item in mail_to or [] for a in item.split(",") if a.strip()]
    if addresses:
        send_report(built, [out], addresses, smtp_host, smtp_port, smtp_from)
        typer.echo(f"mailed to {', '.join(addresses)}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
