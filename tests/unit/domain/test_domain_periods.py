"""Reporting periods: years, quarters and months (year to date)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planwatch.domain.periods import PeriodError, PeriodKind, parse_period


@pytest.mark.parametrize(
    ("text", "kind", "fraction", "end"),
    [
        ("2024", PeriodKind.YEAR, 1.0, date(2024, 12, 31)),
        ("2024-Q1", PeriodKind.QUARTER, 0.25, date(2024, 3, 31)),
        ("2024-Q2", PeriodKind.QUARTER, 0.5, date(2024, 6, 30)),
        ("2024-02", PeriodKind.MONTH, 2 / 12, date(2024, 2, 29)),
        ("2023-12", PeriodKind.MONTH, 1.0, date(2023, 12, 31)),
    ],
)
def test_parse(text: str, kind: PeriodKind, fraction: float, end: date) -> None:
    period = parse_period(text)
    assert period.kind is kind
    assert period.fraction_of_year == pytest.approx(fraction)
    assert period.end_date == end
    assert period.label == text


@pytest.mark.parametrize("text", ["", "24", "2024-13", "2024-Q5", "2024-Q0", "2024-1", "3000"])
def test_refused_with_the_expected_forms(text: str) -> None:
    with pytest.raises(PeriodError, match=r"YYYY|impossible"):
        parse_period(text)


@given(st.integers(1990, 2099), st.integers(1, 12))
def test_months_order_like_time(year: int, month: int) -> None:
    period = parse_period(f"{year}-{month:02d}")
    assert parse_period(str(year - 1)).decimal_year < period.decimal_year
    assert period.decimal_year <= parse_period(str(year)).decimal_year
