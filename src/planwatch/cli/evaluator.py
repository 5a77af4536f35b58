"""``planwatch series``: read the embedded series store the evaluator writes (no InfluxDB needed).

``list`` shows the measurements and their point counts, ``show`` the points of one
measurement (filtered by indicator, jurisdiction, time), ``export`` writes InfluxDB line
protocol, to load the embedded history into an InfluxDB later (``/write`` or ``influx write``).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from planwatch.tsstore import EmbeddedSeriesStore

__all__ = ["register"]

series_app = typer.Typer(
    help="Time series in the embedded store (<data dir>/timeseries.db).", no_args_is_help=True
)

DataDir = Annotated[
    Path | None,
    typer.Option(help="data dir of the embedded default [env PLANWATCH_DATA_DIR, .planwatch]"),
]


def _store(data_dir: Path | None) -> EmbeddedSeriesStore:
    from planwatch.settings import CommonSettings
    from planwatch.tsstore import EmbeddedSeriesStore

    path = (data_dir or CommonSettings().data_dir) / "timeseries.db"
    if not path.exists():
        typer.echo(f"no series store at {path}: has the evaluator run here?", err=True)
        raise typer.Exit(1)
    return EmbeddedSeriesStore(path)


def _day(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


@series_app.command("list")
def list_measurements(data_dir: DataDir = None) -> None:
    """Measurements in the store, with their number of points."""
    store = _store(data_dir)
    for name in store.measurements():
        typer.echo(f"{name}\t{store.count(name)}")


@series_app.command("show")
def show(
    measurement: Annotated[str, typer.Argument(help="observation, assessment, target, …")],
    indicator: Annotated[str | None, typer.Option(help="indicator id")] = None,
    jurisdiction: Annotated[str | None, typer.Option()] = None,
    field: Annotated[list[str] | None, typer.Option(help="fields to show (repeat)")] = None,
    since: Annotated[str | None, typer.Option(help="first point time, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="last point time, YYYY-MM-DD")] = None,
    data_dir: DataDir = None,
) -> None:
    """The points of one measurement, oldest first, as a table."""
    from rich.console import Console
    from rich.table import Table

    tags = {k: v for k, v in (("indicator_id", indicator), ("jurisdiction", jurisdiction)) if v}
    rows = _store(data_dir).query(
        measurement, tags, field or None, _day(since, "--since"), _day(until, "--until")
    )
    fields = list(field or dict.fromkeys(k for r in rows for k in r if k not in ("time", "tags")))
    table = Table("time", "indicator", "jurisdiction", *fields)
    for row in rows:
        table.add_row(
            row["time"].date().isoformat(),
            row["tags"].get("indicator_id", ""),
            row["tags"].get("jurisdiction", ""),
            *("" if row.get(f) is None else str(row[f]) for f in fields),
        )
    Console(width=200).print(table)
    typer.echo(f"{len(rows)} points")


@series_app.command("export")
def export(
    measurement: Annotated[str | None, typer.Option(help="only this measurement")] = None,
    out: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Every point as InfluxDB line protocol (nanosecond timestamps)."""
    store = _store(data_dir)
    sink = out.open("w", encoding="utf-8") if out else sys.stdout
    n = 0
    try:
        for point in store.points(measurement):
            sink.write(point.to_line_protocol() + "\n")
            n += 1
    finally:
        if out:
            sink.close()
    if out:
        typer.echo(f"wrote {n} points to {out}", err=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the planwatch command."""
    app.add_typer(series_app, name="series")
