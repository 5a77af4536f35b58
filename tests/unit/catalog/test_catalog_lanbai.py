"""Spot checks of the 蘭白兩區 plan (seed 002) against a reading of its 二(四) 發展目標."""

from __future__ import annotations

import pytest

from planwatch.catalog import default_catalog, seed_text
from planwatch.domain.model import Direction, Kind, Tier

CATALOG = default_catalog()
SEED = "002_2bc13c28c1073ba6.txt"

# id, value, year, tier, kind, unit, the figure as the seed writes it
SPOT_CHECKS = [
    ("lanbai-national-key-labs", 10, 2027, Tier.EXPECTED, Kind.LEVEL, "家", "10家以上"),
    ("lanbai-rd-intensity", 3.5, 2027, None, Kind.LEVEL, "%", "3.5%以上"),
    ("lanbai-invention-patents-per-10k", 60, 2027, None, Kind.LEVEL, "件", "60件以上"),
    ("lanbai-gdp", 1800, 2027, None, Kind.LEVEL, "亿元", "1800億元以上"),
    ("lanbai-new-product-sales-share", 10, 2027, None, Kind.LEVEL, "%", "10%以上"),
    ("lanbai-high-tech-enterprises", 1300, 2027, None, Kind.LEVEL, "家", "1300家以上"),
    ("lanbai-new-listed-companies", 5, 2027, None, Kind.NEW_ITEMS, "家", "5家以上"),
    ("lanbai-tech-contract-turnover", 100, 2027, None, Kind.LEVEL, "亿元", "100億元以上"),
    ("lanbai-rd-personnel-per-10k", 150, 2027, None, Kind.LEVEL, "人", "150人以上"),
]


@pytest.mark.parametrize(
    ("entry_id", "value", "year", "tier", "kind", "unit", "written"),
    SPOT_CHECKS,
    ids=[row[0] for row in SPOT_CHECKS],
)
def test_lanbai_target_matches_the_plan(
    entry_id: str,
    value: float,
    year: int,
    tier: Tier | None,
    kind: Kind,
    unit: str,
    written: str,
) -> None:
    entry = CATALOG.get(entry_id)
    assert entry is not None, f"{entry_id} missing"
    assert entry.seed == SEED
    assert entry.jurisdiction == "兰白两区"
    assert (entry.kind, entry.unit, entry.direction) == (kind, unit, Direction.HIGHER)
    [target] = entry.targets
    assert (target.year, target.value, target.value_max, target.tier) == (year, value, None, tier)
    assert "以上" in target.qualifiers
    assert written in entry.source_quote
    # The goals paragraph names no unit in charge, and the plan has no 責任單位 lists: 八(二)
    # makes the two city governments and 蘭州新區管委會 the implementing bodies (the organiser).
    assert entry.lead_agencies == ("兰州市政府", "白银市人民政府", "兰州新区管委会")
    assert entry.lead_basis.value == "organiser"
    assert entry.lead_quote is not None and entry.lead_quote in seed_text(SEED)
    assert entry.supervisor == "兰白两区建设领导小组办公室"


def test_lanbai_goals_are_all_in_the_catalog() -> None:
    ids = {e.id for e in CATALOG if e.plan_code == "lanbai"}
    # the goals of 二(四) and the one milestone a task states (三(二)2)
    assert ids == {row[0] for row in SPOT_CHECKS} | {
        "lanbai-industrial-firms-rd-departments-coverage"
    }


def test_lanbai_task_milestone_full_coverage_of_rd_departments() -> None:
    entry = CATALOG.get("lanbai-industrial-firms-rd-departments-coverage")
    assert entry is not None
    [target] = entry.targets
    # 爭取 → expected; 全覆蓋 → 100% of 規上工業企業
    assert (target.year, target.value, target.tier) == (2027, 100, Tier.EXPECTED)
    assert entry.source_quote in seed_text(SEED) and entry.unit == "%"
    assert entry.source_quote_simplified == "争取规上工业企业技术创新部门与研发设计部门全覆盖"


def test_lanbai_gdp_has_the_2022_baseline_the_plan_gives() -> None:
    entry = CATALOG.get("lanbai-gdp")
    assert entry is not None and entry.baseline is not None
    assert (entry.baseline.year, entry.baseline.value) == (2022, 1233)
    assert "1233億元" in seed_text(SEED)
    # one statistic with gs4p's 兰白两区地区生产总值: one series
    assert entry.series == "lanbai-gdp" == CATALOG.get("gs4p-lanbai-gdp").series  # type: ignore[union-attr]


def test_lanbai_indicator_is_traditional_as_written_with_a_simplified_form() -> None:
    entry = CATALOG.get("lanbai-rd-intensity")
    assert entry is not None
    assert entry.indicator in seed_text(SEED)
    assert entry.indicator_simplified == "全社会研究与试验发展(R&D)经费支出占地区生产总值的比重"


@pytest.mark.parametrize(
    ("written", "agency_id"),
    [
        ("蘭州新區管委會", "lzxq-gwh"),
        ("蘭州經開區管委會", "lz-jkqgwh"),
        ("白銀市政府", "by-szf"),
        ("蘭州市政府", "lz-szf"),
        ("蘭白兩區建設領導小組辦公室", "gs-lbldxzb"),
    ],
)
def test_lanbai_implementing_bodies_resolve_as_written(written: str, agency_id: str) -> None:
    assert written in seed_text(SEED)
    agency = CATALOG.agency(written, "lanbai")
    assert agency is not None and agency.id == agency_id
