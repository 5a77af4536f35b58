"""Spot checks of the Qinghai three-year plan (seed 003) against a reading of its 總體要求."""

from __future__ import annotations

import pytest

from planwatch.catalog import default_catalog, seed_text
from planwatch.domain.model import Direction, Kind

CATALOG = default_catalog()
SEED = "003_30e21cf5df1fad33.txt"

# 到2027年年底, … : id without "qinghai-", value, kind, unit, Simplified indicator, as written
SPOT_CHECKS = [
    ("innovation-teams-introduced", 30, "new_items", "个", "引进高水平创新团队", "30個以上"),
    ("national-platforms-joint", 10, "build_count", "个", "联合培育国家级创新平台", "平臺10個"),
    ("key-technologies-solved", 10, "new_items", "项", "联合破解重大关键技术", "10項以上"),
    ("technologies-transferred", 100, "new_items", "项", "引进转化先进适用技术", "技術100項"),
    ("tech-trade-absorbed", 100, "level", "亿元", "吸纳技术交易额", "突破100億元"),
    (
        "projects-with-external-partners-share",
        70,
        "level",
        "%",
        "省级科技计划项目与省外合作实施比例",
        "70%以上",
    ),
]


@pytest.mark.parametrize(
    ("slug", "value", "kind", "unit", "simplified", "written"),
    SPOT_CHECKS,
    ids=[row[0] for row in SPOT_CHECKS],
)
def test_qinghai_target_matches_the_plan(
    slug: str, value: float, kind: str, unit: str, simplified: str, written: str
) -> None:
    entry = CATALOG.get(f"qinghai-{slug}")
    assert entry is not None, f"qinghai-{slug} missing"
    assert (entry.seed, entry.jurisdiction, entry.section) == (SEED, "青海省", "一 總體要求")
    assert (entry.kind, entry.direction, entry.unit) == (Kind(kind), Direction.HIGHER, unit)
    # 到2027年年底: the end of the plan, one target, no tier (no 力爭/爭取 in the sentence)
    [target] = entry.targets
    assert (target.year, target.value, target.value_max, target.tier) == (2027, value, None, None)
    assert written in entry.source_quote
    assert entry.indicator_simplified == simplified and entry.indicator != simplified
    # the unit shown in Simplified; the plan's own spelling kept beside it
    assert (entry.unit_as_written or entry.unit) in written
    # The goals paragraph names no unit in charge: each goal is led by the 牽頭單位 of the task
    # that carries it, its 配合單位 copied; the task's own words are kept.
    assert entry.lead_agencies == ("省科技厅",) and entry.lead_basis.value == "sentence"
    assert entry.lead_quote is not None and entry.lead_quote in seed_text(SEED)
    assert entry.co_responsible and set(entry.co_responsible) <= set(entry.responsible_agencies)
    assert CATALOG.agency(entry.lead_agencies[0], "qinghai").id == "qh-kjt"  # type: ignore[union-attr]


def test_qinghai_goals_paragraph_is_covered_whole() -> None:
    text = seed_text(SEED)
    start = text.index("到2027年年底")
    goals = text[start : text.index("科技開放合作機制更加完善", start)]
    entries = [e for e in CATALOG if e.plan_code == "qinghai"]
    assert {e.id.removeprefix("qinghai-") for e in entries} == {row[0] for row in SPOT_CHECKS}
    assert all(e.source_quote in goals for e in entries)
    plan = CATALOG.plans["qinghai"]
    assert (plan.start_year, plan.end_year) == (2024, 2027)


def test_qinghai_subsidy_rules_are_listed_as_not_targets() -> None:
    """Task amounts such as 按實際研發投入的30% or 1000萬元科研經費補助 are rules, not goals."""
    texts = [item.text for item in CATALOG.not_targets["qinghai"]]
    for rule in ("按實際研發投入的30%", "每年200萬元", "給予1000萬元科研經費補助", "30%—40%"):
        assert any(rule in text for text in texts), rule
