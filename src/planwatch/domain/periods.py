"""Reporting periods: ``YYYY`` (a year), ``YYYY-Qn`` and ``YYYY-MM`` (year to date).

A quarterly or monthly figure of a yearly flow is a year-to-date value: ``2024-Q2`` is the
first half of 2024, ``2024-05`` January to May.

Labels that cover the same months are one period: ``2024-12``, ``2024-Q4`` and ``2024`` are all
January to December, ``2024-06`` and ``2024-Q2`` January to June. ``Period.canonical`` gives the
one label of such a period: 12 months is always the year; a quarter end is a quarter
(``YYYY-Qn``) for annual and quarterly indicators and a month (``YYYY-MM``) for monthly ones;
other months are months.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from planwatch.domain.model import Frequency

__all__ = ["Period", "PeriodError", "PeriodKind", "canonical_label", "parse_period"]

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<q>[1-4])|(?P<m>0[1-9]|1[0-2])))?$")


class PeriodError(ValueError):
    """A period string that is not ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``."""


class PeriodKind(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


@dataclass(frozen=True, order=True)
class Period:
    year: int
    months: int  # months of the year covered, counted from January: 12, 3/6/9, 1..12
    kind: PeriodKind

    @property
    def label(self) -> str:
        return _label(self.year, self.months, self.kind)

    @property
    def _label_uncached(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return f"{self.year:04d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year:04d}-Q{self.months // 3}"
        return f"{self.year:04d}-{self.months:02d}"

    @property
    def fraction_of_year(self) -> float:
        """Share of the year this year-to-date period covers (1.0 for a full year)."""
        return self.months / 12

    @property
    def is_full_year(self) -> bool:
        return self.months == 12

    @property
    def decimal_year(self) -> float:
        """Position on a time axis: the end of the period, in years (2024 → 2024.0 end of year).

        A full year ``2024`` sits at 2024.0 (its value is the year-end level, as plans count
        years), ``2024-Q2`` at 2023.5: half-way through 2024.
        """
        return self.year - 1 + self.months / 12

    @property
    def end_date(self) -> date:
        """The last day the period covers."""
        if self.months == 12:
            return date(self.year, 12, 31)
        first_of_next = date(self.year, self.months + 1, 1)
        return date.fromordinal(first_of_next.toordinal() - 1)

    def canonical(self, frequency: Frequency) -> Period:
        """The same months as the period, labelled as a bureau reporting at ``frequency`` does.

        ``2025-12`` and ``2025-Q4`` are ``2025`` whatever the frequency; ``2025-Q2`` is
        ``2025-06`` for a monthly indicator and ``2025-06`` is ``2025-Q2`` for a quarterly or
        annual one; ``2025-05`` stays a month.
        """
        if self.months == 12:
            kind = PeriodKind.YEAR
        elif frequency != Frequency.MONTHLY and self.months % 3 == 0:
            kind = PeriodKind.QUARTER
        else:
            kind = PeriodKind.MONTH
        return self if kind is self.kind else Period(self.year, self.months, kind)

    def __str__(self) -> str:
        return self.label


@lru_cache(maxsize=4096)
def _label(year: int, months: int, kind: PeriodKind) -> str:
    return Period(year, months, kind)._label_uncached


def parse_period(text: str) -> Period:
    """Parse ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``; raise PeriodError saying what was expected."""
    if not isinstance(text, str):
        raise PeriodError(f"period {text!r} is not YYYY, YYYY-Qn or YYYY-MM")
    return _parse(text)


def canonical_label(text: str, frequency: Frequency) -> str:
    """The canonical label (see ``Period.canonical``) of a period string; PeriodError if bad."""
    if not isinstance(text, str):
        raise PeriodError(f"period {text!r} is not YYYY, YYYY-Qn or YYYY-MM")
    return _canonical_label(text, frequency)


@lru_cache(maxsize=8192)
def _canonical_label(text: str, frequency: Frequency) -> str:
    return _parse(text).canonical(frequency).label


@lru_cache(maxsize=8192)
def _parse(text: str) -> Period:
    match = _PATTERN.match(text.strip())
    if not match:
        raise PeriodError(f"period {text!r} is not YYYY, YYYY-Qn or YYYY-MM")
    year = int(match["year"])
    if not 1900 <= year <= 2100:
        raise PeriodError(f"period {text!r} has an impossible year")
    if match["q"]:
        return Period(year, int(match["q"]) * 3, PeriodKind.QUARTER)
    if match["m"]:
        return Period(year, int(match["m"]), PeriodKind.MONTH)
    return Period(year, 12, PeriodKind.YEAR)
