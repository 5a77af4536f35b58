"""Spot checks of the Gansu base plan (seed 000) against a reading of its goals and tasks."""

from __future__ import annotations

import pytest

from planwatch.catalog import default_catalog, seed_text
from planwatch.domain.model import Direction, Kind, Tier

CATALOG = default_catalog()
SEED = "000_7ade8bec270da3d1.txt"
ZONE_BODIES = ("各市州政府", "兰州新区管委会")

# id without "gsbase-", year, value, tier, kind, unit, lead unit, the figure as the seed writes it
SPOT_CHECKS = [
    # 主要目标 2025: 科技进步贡献率达到62%
    ("tech-progress-contribution", 2025, 62, None, "level", "%", None, "达到62%"),
    # 到2030年: 每万名就业人员中研发人员达到40人年
    ("rd-personnel-per-10k-employed", 2030, 40, None, "level", "人年", None, "达到40人年"),
    ("high-value-patents-per-10k", 2030, 4.5, None, "level", "件", None, "达到4.5件"),
    ("tech-contract-turnover", 2025, 525, None, "level", "亿元", None, "达到525亿元"),
    ("innovation-rank", 2030, 20, None, "ranking", "位", None, "进入全国前20位"),
    # 平台挂牌交易科技成果500项 (2025) and 累计达到3000项 (2030): one running total
    ("platform-listed-achievements", 2025, 500, None, "cumulative", "项", None, "成果500项"),
    # 二(二)4: 形成新工艺、新技术和新产品30个以上 (责任单位:省工信厅、…)
    ("new-processes-products", 2025, 30, None, "new_items", "个", "省工信厅", "30个以上"),
    ("provincial-innovative-enterprises", 2025, 1800, None, "level", "家", "省科技厅", "1800家"),
    ("leading-talent-introduced", 2025, 20, None, "new_items", "人", "省科技厅", "20人以上"),
    ("young-talent-funding-share", 2025, 50, None, "level", "%", "省科技厅", "达到50%"),
    # 三(一)18: 实施…项目10项左右 — projects carried out: a count, 左右 a tolerance on it
    ("industry-research-projects", 2025, 10, None, "new_items", "项", "省科技厅", "10项左右"),
    ("achievement-promotion-events", 2025, 6, None, "yearly_flow", "场次", "省科技厅", "6场次以上"),
    # 三(四)24: 争取建设…中试平台15家以上 — 争取 makes it an expected target
    ("pilot-test-platforms", 2025, 15, "expected", "build_count", "家", "省科技厅", "15家以上"),
    ("tech-broker-training", 2025, 200, None, "yearly_flow", "人次", "省科技厅", "200人次"),
]
DIRECTIONS = {"ranking": Direction.LOWER, "maintain": Direction.AROUND}


@pytest.mark.parametrize(
    ("slug", "year", "value", "tier", "kind", "unit", "lead", "written"),
    SPOT_CHECKS,
    ids=[f"{row[0]}-{row[1]}" for row in SPOT_CHECKS],
)
def test_gsbase_target_matches_the_plan(
    slug: str,
    year: int,
    value: float,
    tier: str | None,
    kind: str,
    unit: str,
    lead: str | None,
    written: str,
) -> None:
    entry = CATALOG.get(f"gsbase-{slug}")
    assert entry is not None, f"gsbase-{slug} missing"
    assert (entry.seed, entry.jurisdiction) == (SEED, "甘肃省")
    direction = DIRECTIONS.get(kind, Direction.HIGHER)
    assert (entry.kind, entry.direction, entry.unit) == (Kind(kind), direction, unit)
    [target] = entry.targets_for(year)
    assert (target.value, target.value_max) == (value, None)
    assert target.tier == (Tier(tier) if tier else None)
    assert written in (target.quote or entry.source_quote)
    assert entry.lead_agencies == ((lead,) if lead else ())


def test_gsbase_goals_for_2030_continue_the_2025_indicators() -> None:
    """The 2030 paragraph restates seven 2025 indicators: one entry each, two targets."""
    both = [e for e in CATALOG if e.plan_code == "gsbase" and e.target_years == (2025, 2030)]
    assert {e.id for e in both} == {
        "gsbase-tech-progress-contribution",
        "gsbase-rd-expenditure",
        "gsbase-rd-personnel-per-10k-employed",
        "gsbase-high-tech-enterprises",
        "gsbase-high-value-patents-per-10k",
        "gsbase-tech-contract-turnover",
        "gsbase-platform-listed-achievements",
    }
    text = seed_text(SEED)
    goals_2030 = text[text.index("到2030年") : text.index("二、建设科技创新")]
    for entry in both:
        [later] = entry.targets_for(2030)
        assert later.quote is not None and later.quote in goals_2030, entry.id


def test_gsbase_goals_name_no_unit_and_tasks_bind_the_cities_and_lanzhou_new_area() -> None:
    entries = [e for e in CATALOG if e.plan_code == "gsbase"]
    goals = [e for e in entries if e.section == "一 主要目标"]
    tasks = [e for e in entries if e.section != "一 主要目标"]
    assert len(goals) == 9 and len(tasks) == 10
    assert all(e.responsible_agencies == () == e.lead_agencies for e in goals)
    # 二(一)1 says every later task is also carried out by 各市州政府 and 兰州新区管委会
    for entry in tasks:
        assert entry.responsible_agencies[-2:] == ZONE_BODIES, entry.id
        assert entry.lead_agencies == entry.responsible_agencies[:1], entry.id
        assert CATALOG.agency(entry.lead_agencies[0], "gsbase") is not None


def test_gsbase_ranking_goals_are_a_gain_by_2025_and_a_rank_by_2030() -> None:
    gain = CATALOG.get("gsbase-innovation-rank-gain")
    rank = CATALOG.get("gsbase-innovation-rank")
    assert gain is not None and rank is not None
    assert (gain.kind, gain.target_years, gain.targets[0].value) == (
        Kind.RANKING_CHANGE,
        (2025,),
        1,
    )
    assert (rank.direction, rank.target_years) == (Direction.LOWER, (2030,))
