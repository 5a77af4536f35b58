"""The kind rules of docs/catalog.md ("左右, floors and year-to-date figures"), on every entry."""

from __future__ import annotations

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.kinds import accepts_year_to_date
from planwatch.domain.model import Direction, Kind

ENTRIES = sorted(default_catalog().entries.values(), key=lambda e: e.id)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_a_band_is_only_a_level_that_must_be_kept(entry) -> None:  # type: ignore[no-untyped-def]
    around = entry.kind is Kind.MAINTAIN or entry.direction is Direction.AROUND
    kept = any(
        "左右" in t.qualifiers and any(q.startswith("保持") for q in t.qualifiers)
        for t in entry.targets
    )
    assert around == kept, f"{entry.id}: 保持在…左右 is a band; other 左右 a tolerance"
    if entry.kind is Kind.MAINTAIN:
        assert entry.direction is Direction.AROUND


def test_zuoyou_counts_are_counts_in_the_plans() -> None:
    """引进…20人左右, 建设…30家左右: counted from the plan start, never a two-sided band."""
    counted = {
        e.id: e.kind
        for e in ENTRIES
        if any("左右" in t.qualifiers for t in e.targets) and e.kind is not Kind.MAINTAIN
    }
    assert counted["baiyin-envoys-introduced"] is Kind.NEW_ITEMS
    assert counted["gs4p-enterprise-key-labs"] is Kind.BUILD_COUNT
    assert counted["gsbase-industry-research-projects"] is Kind.NEW_ITEMS
    assert counted["baiyin-chief-experts"] is Kind.LEVEL  # 打造一支规模在100名左右的…队伍
    assert {e.id for e in ENTRIES if e.kind is Kind.MAINTAIN} == {
        "baiyin-envoy-corps",  # 全市科技特派员队伍保持在500人左右
        "gs4p-sci-tech-envoys",  # 全省科技特派员队伍动态保持在1万人左右
    }


def test_year_to_date_figures_are_decided_by_kind() -> None:
    takes = {e.kind for e in ENTRIES if accepts_year_to_date(e)}
    refuses = {e.kind for e in ENTRIES if not accepts_year_to_date(e)}
    assert takes == {Kind.YEARLY_FLOW, Kind.CUMULATIVE, Kind.GROWTH_RATE}
    assert Kind.LEVEL in refuses and Kind.RANKING_CHANGE in refuses and not takes & refuses
