"""The template asks for what the assessment needs: a rank gain's start-year rank too."""

from __future__ import annotations

from planwatch.catalog import default_catalog
from planwatch_ingest.templates import template_rows

CATALOG = default_catalog()


def _periods(jurisdiction: str, indicator_id: str) -> list[str]:
    rows = template_rows(CATALOG, jurisdiction)
    return [r[2] for r in rows[1:] if r[0] == indicator_id]


def test_a_rank_gain_owes_the_rank_of_the_start_year() -> None:
    # 000: 2025年,综合科技创新水平全国排名提升1位 — counted from the 2024 rank (plan start)
    assert _periods("甘肃省", "gsbase-innovation-rank-gain") == ["2024", "2025"]


def test_other_kinds_start_after_the_plan_start() -> None:
    assert _periods("甘肃省", "gsbase-rd-expenditure")[0] == "2025"
