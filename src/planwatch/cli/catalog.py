"""``planwatch catalog``: export the catalog as JSON, show one entry for a person."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from planwatch.catalog import default_catalog
from planwatch.domain.calendar import due_rule
from planwatch.domain.model import CatalogEntry

__all__ = ["entry_json", "register"]

catalog_app = typer.Typer(help="The plan catalog: every quantified target of the plans.")


def entry_json(entry: CatalogEntry) -> dict[str, object]:
    """One entry in the export shape (the interface other tools rely on): the entry's fields,
    with ``series`` (the statistic's id shared across plans), ``publisher`` and ``due`` (the
    reporting calendar's rule)."""
    data = entry.model_dump(mode="json")
    data["due"] = due_rule(entry)
    data["targets"] = [
        {k: t[k] for k in ("year", "value", "value_max", "tier", "qualifiers", "quote")}
        for t in data["targets"]
    ]
    return data


@catalog_app.command("export")
def export() -> None:
    """Print the whole catalog as a JSON array, one object per entry."""
    catalog = default_catalog()
    json.dump([entry_json(e) for e in catalog], sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


@catalog_app.command("show")
def show(entry_id: str) -> None:
    """Print one entry for a person, in Chinese and English."""
    entry = default_catalog().get(entry_id)
    if entry is None:
        typer.echo(f"unknown indicator id: {entry_id!r} (see `planwatch catalog list`)", err=True)
        raise typer.Exit(2)
    console = Console()
    console.print(f"[bold]{entry.indicator_simplified}[/bold]  ({entry.indicator_en})")
    console.print(f"{entry.id} · {entry.jurisdiction} · {entry.plan}")
    console.print(f"章节 section: {entry.section}")
    console.print(f"类型 kind: {entry.kind.value} · 方向 direction: {entry.direction.value}")
    console.print(f"单位 unit: {entry.unit}")
    if entry.baseline:
        b = entry.baseline
        console.print(f"基期 baseline: {b.year} = {b.value:g}{entry.unit} {b.note or ''}")
    table = Table("年份 year", "目标 target", "层级 tier", "表述 wording")
    for t in entry.targets:
        value = f"{t.value:g}" + (f"–{t.value_max:g}" if t.value_max is not None else "")
        table.add_row(str(t.year), f"{value}{entry.unit}", t.tier or "—", " ".join(t.qualifiers))
    console.print(table)
    lead = "、".join(entry.lead_agencies) or "—(未明确 none named)"
    basis = "依据原文" if entry.lead_basis.value == "sentence" else "方案组织单位"
    console.print(f"牵头单位 lead: {lead}({basis}:「{entry.lead_quote or '—'}」)")
    console.print(f"责任单位 responsible: {'、'.join(entry.responsible_agencies) or '—'}")
    console.print(f"统计序列 series: {entry.series} · 发布单位 publisher: {entry.publisher}")
    console.print(f"报送规则 due: {due_rule(entry)['rule']}")
    if entry.source_quote_simplified != entry.source_quote:
        console.print(f"原文(简体) source: 「{entry.source_quote_simplified}」")
    console.print(f"原文 source as written: 「{entry.source_quote}」")


@catalog_app.command("list")
def list_entries(jurisdiction: str | None = None, plan: str | None = None) -> None:
    """One line per entry: id, jurisdiction, indicator, unit."""
    for e in default_catalog():
        if jurisdiction and e.jurisdiction != jurisdiction:
            continue
        if plan and e.plan_code != plan:
            continue
        typer.echo(f"{e.id}\t{e.jurisdiction}\t{e.indicator_simplified}\t{e.unit}")


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
