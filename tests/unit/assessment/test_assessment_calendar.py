"""A target year without its figure is judged final only once the reporting calendar says the
figure is due: R&D spending shares are surveyed late in the following year (次年11月底可得)."""

from __future__ import annotations

from datetime import date

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.assessment import assess
from planwatch.domain.assessment_model import Observation
from planwatch.domain.calendar import year_due
from planwatch.domain.events import Status

# 001 主要指标 第3行: 企业研发经费支出占全社会研发经费支出的比重, 2025 约束值 70%, 预期值 75%
_ENTRY = default_catalog().get("baiyin-enterprise-rd-share")
assert _ENTRY is not None
ENTRY = _ENTRY
SO_FAR = [Observation(period="2024", value=72.0)]


def test_the_2025_figure_is_due_at_the_end_of_2026() -> None:
    assert year_due(ENTRY, 2025) == date(2026, 12, 30)


@pytest.mark.parametrize("as_of", [date(2026, 6, 1), date(2026, 12, 30)])
def test_before_the_due_date_the_year_is_still_open(as_of: date) -> None:
    result = assess(ENTRY, SO_FAR, as_of)
    assert result.status is not Status.NO_DATA
    assert "缺少2025年数据" not in result.explanation_zh


def test_after_the_due_date_the_missing_figure_is_named() -> None:
    result = assess(ENTRY, SO_FAR, date(2027, 1, 15))
    assert result.status is Status.NO_DATA
    assert "缺少2025年数据" in result.explanation_zh
