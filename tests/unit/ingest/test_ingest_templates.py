"""The template explains itself: Chinese headers, 填报说明, conventions, targets as written."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from planwatch.catalog import default_catalog
from planwatch_ingest.templates import covered_years, template_csv, template_rows, template_xlsx

CATALOG = default_catalog()


def _row(jurisdiction: str, indicator_id: str, period: str) -> list[str]:
    for row in template_rows(CATALOG, jurisdiction):
        if row.indicator_id == indicator_id and row.period == period:
            return row.cells()
    raise AssertionError(f"no row {indicator_id} {period}")


def test_conventions_and_targets_are_written_as_the_plan_states_them() -> None:
    level = _row("白银市", "baiyin-tech-progress-contribution", "2023")
    assert level[9] == "本年度值（年末水平）"
    assert level[10] == "2025年：约束性58%，预期性65%；基期2021年：54%"
    ranged = _row("白银市", "baiyin-new-varieties", "2024")
    assert ranged[9].startswith("自2022年起累计")
    assert "3–5个左右" in ranged[10]
    band = _row("白银市", "baiyin-envoy-corps", "2024")
    assert band[10] == "2025年：500人左右"
    expected = _row("甘肃省", "gs4p-key-technologies", "2024")
    assert "预期性力争突破100项以上" in expected[10]


def test_rank_gains_ask_for_the_start_year_rank() -> None:
    start = _row("甘肃省", "gsbase-innovation-rank-gain", "2024")
    assert start[9] == "2024年末排名（起始值，用于计算提升位数）"
    assert _row("甘肃省", "gsbase-innovation-rank-gain", "2025")[10].startswith("2025年：提升1位")


def test_only_years_the_plans_cover() -> None:
    assert template_rows(CATALOG, "白银市", 2030) == []
    assert covered_years(CATALOG, "白银市") == (2022, 2025)
    assert covered_years(CATALOG, "火星市") is None
    assert {r.period for r in template_rows(CATALOG, "甘肃省", 2030)} == {"2030"}
    rows = template_rows(CATALOG, "白银市")
    assert min(r.period for r in rows) == "2022" and max(r.period for r in rows) == "2025"


def test_csv_has_the_chinese_headers_ingest_reads() -> None:
    text = template_csv(template_rows(CATALOG, "青海省")).decode("utf-8-sig")
    assert text.splitlines()[0] == (
        "指标编号,地区,报告期,数值,单位,来源,备注,提交编号,指标名称,填报口径,规划目标"
    )


def test_workbook_explains_itself_and_locks_the_descriptions() -> None:
    rows = template_rows(CATALOG, "兰白两区")
    book = load_workbook(io.BytesIO(template_xlsx(rows, "兰白两区")))
    assert book.sheetnames == ["数据填报", "填报说明", "报告期选项"]
    data, guide, lists = (book[name] for name in book.sheetnames)
    assert guide["A1"].value == "兰白两区规划指标数据填报模板"
    assert any("填报口径" in str(c.value) for line in guide.iter_rows() for c in line)
    assert lists.sheet_state == "hidden"
    assert data.protection.sheet is True
    assert data["A2"].protection.locked and data["I2"].protection.locked
    assert not data["D2"].protection.locked and not data["C2"].protection.locked
    validations = data.data_validations.dataValidation
    covered = {str(cell) for v in validations for rng in v.sqref.ranges for cell in [rng.coord]}
    assert validations and all(v.type == "list" for v in validations)
    assert any("C2" in c for c in covered)
    periods_of_row = validations[0].formula1
    assert periods_of_row.startswith("'报告期选项'!")
    assert [c.value for c in data[1]][:4] == ["指标编号", "地区", "报告期", "数值"]
    assert data.max_row == len(rows) + 1


def _owed_periods(jurisdiction: str, indicator_id: str) -> list[str]:
    return [
        r.period
        for r in template_rows(default_catalog(), jurisdiction)
        if r.indicator_id == indicator_id
    ]


def test_a_rank_gain_owes_the_rank_of_the_start_year() -> None:
    # 000: 2025年,综合科技创新水平全国排名提升1位 — counted from the 2024 rank (plan start)
    assert _owed_periods("甘肃省", "gsbase-innovation-rank-gain")[:2] == ["2024", "2025"]


def test_other_kinds_start_after_the_plan_start() -> None:
    assert _owed_periods("甘肃省", "gsbase-rd-expenditure")[0] == "2025"
