"""``planwatch calendar``: what is due, to be reminded of, chased or escalated, and to whom."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from planwatch.catalog import default_catalog
from planwatch.domain.calendar import ACTION_LABELS, duties, month_bounds, slots

__all__ = ["register"]


def _reported(path: Path | None) -> dict[str, list[str]]:
    """``{"<entry or series id>": ["2025", …]}`` from a JSON file; {} without one."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"{path}: {exc}", param_hint="--reported") from exc
    if not isinstance(data, dict) or not all(
        isinstance(v, list) and all(isinstance(p, str) for p in v) for v in data.values()
    ):
        raise typer.BadParameter(
            f"{path}: must map an indicator or series id to a list of periods",
            param_hint="--reported",
        )
    return data


def calendar(
    jurisdiction: Annotated[
        str | None, typer.Option(help="only this jurisdiction, e.g. 白银市")
    ] = None,
    month: Annotated[
        str | None, typer.Option(help="YYYY-MM: the figures due that month (default: this month)")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD: the day to judge (default: today)")
    ] = None,
    reported: Annotated[
        Path | None,
        typer.Option(help="JSON file: {id: [periods reported]}; without it nothing is reported"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the figures due in a month and everything owed on a day (提醒 / 催报 / 督办)."""
    try:
        today = date.fromisoformat(as_of) if as_of else date.today()
        start, end = month_bounds(month or f"{today:%Y-%m}")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    entries = [e for e in default_catalog() if jurisdiction in (None, e.jurisdiction)]
    if not entries:
        raise typer.BadParameter(f"no indicator of {jurisdiction!r}", param_hint="--jurisdiction")
    done = _reported(reported)
    due_in_month = sorted(
        (
            (slot.due, e.series, e.jurisdiction, slot.period, e.publisher)
            for e in entries
            for slot in slots(e)
            if start <= slot.due <= end
        ),
    )
    due_in_month = list(dict.fromkeys(due_in_month))  # a series once
    owed = duties(entries, done, today)
    if as_json:
        payload = {
            "month": f"{start:%Y-%m}",
            "as_of": today.isoformat(),
            "due": [
                {"due": w.isoformat(), "series": s, "jurisdiction": j, "period": p, "publisher": b}
                for w, s, j, p, b in due_in_month
            ],
            "owed": [
                {
                    "action": d.action.value,
                    "series": d.series,
                    "targets": list(d.targets),
                    "jurisdiction": d.jurisdiction,
                    "period": d.period,
                    "available": d.available.isoformat(),
                    "due": d.due.isoformat(),
                    "to": list(d.to),
                    "copied": list(d.copied),
                    "days_overdue": d.days_overdue,
                }
                for d in owed
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console = Console()
    table = Table("截止日期 due", "统计序列 series", "地区", "期间", "发布单位 publisher")
    for when, s, j, p, b in due_in_month:
        table.add_row(when.isoformat(), s, j, p, b)
    console.print(f"[bold]{start:%Y年%m月}到期报送[/bold] ({len(due_in_month)})")
    console.print(table)
    table = Table("事项", "统计序列 series", "地区", "期间", "截止日期", "逾期天数", "发送", "抄送")
    for d in owed:
        table.add_row(
            ACTION_LABELS[d.action],
            d.series,
            d.jurisdiction,
            d.period,
            d.due.isoformat(),
            str(max(d.days_overdue, 0)),
            "、".join(d.to),
            "、".join(d.copied),
        )
    console.print(f"[bold]截至{today.isoformat()}待办[/bold] ({len(owed)})")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("calendar")(calendar)
