"""``planwatch catalog export`` keeps its fields and adds series, publisher and due;
``planwatch calendar`` lists what is due and owed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from planwatch.catalog import default_catalog
from planwatch.cli.main import app

RUNNER = CliRunner()
KEPT = {
    "id", "plan", "plan_code", "seed", "section", "jurisdiction", "indicator",
    "indicator_simplified", "indicator_en", "unit", "kind", "direction", "frequency",
    "baseline", "targets", "responsible_agencies", "lead_agencies", "source_quote",
    "start_year", "tolerance_pct", "note",
}  # fmt: skip


def _export() -> list[dict[str, object]]:
    result = RUNNER.invoke(app, ["catalog", "export"])
    assert result.exit_code == 0, result.output
    data: list[dict[str, object]] = json.loads(result.output)
    return data


def test_export_keeps_its_fields_and_adds_series_publisher_and_due() -> None:
    exported = _export()
    catalog = default_catalog()
    assert len(exported) == len(catalog)
    for row in exported:
        assert KEPT <= set(row), row["id"]
        entry = catalog.get(str(row["id"]))
        assert entry is not None
        leads = row["lead_agencies"]
        assert isinstance(leads, list) and leads
        assert all(catalog.agency(n, entry.plan_code) is not None for n in leads)
        assert row["series"] and row["publisher"]
        due = row["due"]
        assert isinstance(due, dict) and {"rule", "lag_months", "first_due"} <= set(due)
    by_id = {r["id"]: r for r in exported}
    assert by_id["lanbai-gdp"]["series"] == by_id["gs4p-lanbai-gdp"]["series"] == "lanbai-gdp"
    assert by_id["lanbai-gdp"]["unit"] == "亿元"  # shown in Simplified …
    assert by_id["lanbai-gdp"]["unit_as_written"] == "億元"  # … the plan's spelling beside it
    assert by_id["lanbai-gdp"]["source_quote"] == "地區生産總值達到1800億元以上"
    assert by_id["lanbai-gdp"]["source_quote_simplified"] == "地区生产总值达到1800亿元以上"
    rd = by_id["gsbase-rd-expenditure"]
    assert rd["publisher"] == "甘肃省统计局"
    assert rd["due"]["rule"] == "次年11月底可得,其后30日内报送"  # type: ignore[index]


def test_calendar_lists_the_months_due_figures_and_the_owed_ones(tmp_path: Path) -> None:
    args = ["calendar", "--jurisdiction", "甘肃省", "--month", "2026-12", "--as-of", "2026-12-31"]
    result = RUNNER.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    due = {(d["series"], d["period"]) for d in data["due"]}
    assert ("gsbase-rd-expenditure", "2025") in due  # R&D of 2025: due 30 December 2026
    owed = {(d["series"], d["period"]): d for d in data["owed"]}
    assert owed["gsbase-rd-expenditure", "2025"]["action"] == "chase"
    assert owed["gsbase-rd-expenditure", "2025"]["to"] == ["甘肃省统计局"]
    assert ("gsbase-rd-expenditure", "2026") not in owed  # cannot exist before late 2027
    # once reported, it is neither due-and-owed nor chased
    reported = tmp_path / "reported.json"
    reported.write_text(json.dumps({"gsbase-rd-expenditure": ["2025"]}), encoding="utf-8")
    again = RUNNER.invoke(app, [*args, "--json", "--reported", str(reported)])
    owed = {(d["series"], d["period"]) for d in json.loads(again.output)["owed"]}
    assert ("gsbase-rd-expenditure", "2025") not in owed
    table = RUNNER.invoke(app, args)
    assert table.exit_code == 0 and "催报" in table.output and "甘肃省统计局" in table.output


def test_calendar_names_a_bad_option() -> None:
    result = RUNNER.invoke(app, ["calendar", "--month", "2026-13"])
    assert result.exit_code == 2 and "2026-13" in result.output
    result = RUNNER.invoke(app, ["calendar", "--jurisdiction", "火星"])
    assert result.exit_code == 2 and "jurisdiction" in result.output
