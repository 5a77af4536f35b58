"""Reporting periods: years, quarters and months (year to date)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planwatch.domain.model import Frequency
from planwatch.domain.periods import PeriodError, PeriodKind, canonical_label, parse_period


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


@pytest.mark.parametrize(
    ("text", "annual", "quarterly", "monthly"),
    [
        ("2025", "2025", "2025", "2025"),
        ("2025-12", "2025", "2025", "2025"),
        ("2025-Q4", "2025", "2025", "2025"),
        ("2025-Q2", "2025-Q2", "2025-Q2", "2025-06"),
        ("2025-06", "2025-Q2", "2025-Q2", "2025-06"),
        ("2025-03", "2025-Q1", "2025-Q1", "2025-03"),
        ("2025-Q3", "2025-Q3", "2025-Q3", "2025-09"),
        ("2025-05", "2025-05", "2025-05", "2025-05"),
        ("2025-11", "2025-11", "2025-11", "2025-11"),
    ],
)
def test_canonical_label_per_frequency(
    text: str, annual: str, quarterly: str, monthly: str
) -> None:
    expected = {
        Frequency.ANNUAL: annual,
        Frequency.QUARTERLY: quarterly,
        Frequency.MONTHLY: monthly,
    }
    for frequency, label in expected.items():
        assert parse_period(text).canonical(frequency).label == label
        assert canonical_label(text, frequency) == label


@pytest.mark.parametrize("text", ["2025-13", "2025-Q0", "25", None])
def test_canonical_label_of_a_bad_period_names_the_expected_forms(text: object) -> None:
    with pytest.raises(PeriodError, match="YYYY"):
        canonical_label(text, Frequency.ANNUAL)  # type: ignore[arg-type]


_ANY_LABEL = st.one_of(
    st.builds(lambda y: f"{y}", st.integers(1990, 2099)),
    st.builds(lambda y, q: f"{y}-Q{q}", st.integers(1990, 2099), st.integers(1, 4)),
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1990, 2099), st.integers(1, 12)),
)


@given(_ANY_LABEL, _ANY_LABEL, st.sampled_from(list(Frequency)))
def test_labels_of_the_same_months_have_one_canonical_label(
    one: str, other: str, frequency: Frequency
) -> None:
    a, b = parse_period(one), parse_period(other)
    same_months = (a.year, a.months) == (b.year, b.months)
    assert (a.canonical(frequency) == b.canonical(frequency)) is same_months
    canonical = a.canonical(frequency)
    # the same months, the same end and place in time; canonical twice is canonical once
    assert (canonical.year, canonical.months, canonical.end_date) == (a.year, a.months, a.end_date)
    assert canonical.decimal_year == a.decimal_year
    assert canonical.canonical(frequency) == canonical
    assert parse_period(canonical.label) == canonical
