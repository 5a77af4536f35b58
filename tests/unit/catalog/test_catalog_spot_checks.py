"""Spot checks of the catalog against the plans' own words (000, 001, 003, 004)."""

from __future__ import annotations

import pytest

from planwatch.catalog import default_catalog

CATALOG = default_catalog()


@pytest.mark.parametrize(
    ("entry_id", "year", "value", "tier", "kind", "unit", "lead"),
    [
        # 000 主要目标: 2025年…全社会研究与试验发展(R&D)经费投入达到180亿元; 到2030年…280亿元
        ("gsbase-rd-expenditure", 2030, 280, None, "level", "亿元", None),
        ("gsbase-high-tech-enterprises", 2025, 2600, None, "level", "家", None),
        ("gsbase-innovation-rank", 2030, 20, None, "ranking", "位", None),
        ("gsbase-innovation-rank-gain", 2025, 1, None, "ranking_change", "位", None),
        ("gsbase-platform-listed-achievements", 2030, 3000, None, "cumulative", "项", None),
        # 000 二(一)1: 实施重大应用基础研究项目20项以上 (责任单位:省科技厅、…)
        ("gsbase-applied-basic-research-projects", 2025, 20, None, "new_items", "项", "省科技厅"),
        ("gsbase-belt-road-joint-labs", 2025, 1, "expected", "build_count", "家", "省科技厅"),
        # 001 主要指标 第1行: 科技进步贡献率 % 54 58 65
        ("baiyin-tech-progress-contribution", 2025, 58, "binding", "level", "%", None),
        ("baiyin-tech-progress-contribution", 2025, 65, "expected", "level", "%", None),
        ("baiyin-rd-intensity", 2025, 1.8, "expected", "level", "%", None),
        ("baiyin-star-bse-listed", 2025, 1, "expected", "level", "家", None),
        (
            "baiyin-hitech-zone-industrial-output",
            2025,
            1000,
            None,
            "level",
            "亿元",
            "白银高新区管委会",
        ),
        ("baiyin-hitech-zone-national-rank", 2025, 115, None, "ranking", "位", "白银高新区管委会"),
        # 003: 吸納技術交易額突破100億元
        ("qinghai-tech-trade-absorbed", 2027, 100, None, "level", "亿元", "省科技厅"),
        # 004: 到2025年，兰白两区地区生产总值力争突破1500亿元 (力争 → expected)
        (
            "gs4p-lanbai-gdp",
            2025,
            1500,
            "expected",
            "level",
            "亿元",
            "省科技厅",
        ),
        ("gs4p-baiyin-hitech-zone-rank-gain", 2025, 5, "expected", "ranking_change", "位", None),
        ("gs4p-provincial-fiscal-st-share", 2025, 2.5, None, "level", "%", "省财政厅"),
        ("gs4p-sci-tech-envoys", 2025, 1, None, "maintain", "万人", "省农业农村厅"),
    ],
)
def test_spot_check(entry_id, year, value, tier, kind, unit, lead) -> None:
    entry = CATALOG.get(entry_id)
    assert entry is not None, entry_id
    assert entry.kind.value == kind and entry.unit == unit
    assert any(
        t.year == year and t.value == value and (t.tier.value if t.tier else None) == tier
        for t in entry.targets
    ), entry.targets
    if lead is not None:
        assert entry.lead_agencies[0] == lead


def test_baiyin_table_has_sixteen_rows_with_2020_baselines_where_starred() -> None:
    rows = [e for e in CATALOG if e.plan_code == "baiyin" and e.section.startswith("主要指标")]
    assert len(rows) == 16
    starred = {e.id for e in rows if e.baseline and e.baseline.year == 2020}
    assert "baiyin-rd-intensity" in starred and "baiyin-tech-progress-contribution" not in starred
    assert all({t.tier.value for t in e.targets if t.tier} == {"binding", "expected"} for e in rows)


def test_the_catalog_covers_well_over_a_hundred_targets() -> None:
    assert len(CATALOG) > 100
    assert {p.code for p in CATALOG.plans.values()} == {
        "gsbase",
        "baiyin",
        "lanbai",
        "qinghai",
        "gs4p",
    }
