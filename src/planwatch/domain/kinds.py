"""Rules that follow from a target's kind alone, decided here once (docs/catalog.md, "Kinds").

- which kinds take a year-to-date figure (``YYYY-Qn``, ``YYYY-MM``) of an annual indicator:
  a yearly flow and a running total take the flow of the months so far, a growth rate the
  growth of the months so far (累计增速); a level, a count or a rank has no year-to-date form
  (a half-year R&D expenditure is not half-way to a yearly level), so such a figure is refused;
- which year a bureau must report first: a rank gain (提升N位) is counted from the rank in the
  plan's start year, so that rank is owed too.
"""

from __future__ import annotations

from typing import Protocol

from planwatch.domain.model import Frequency, Kind

__all__ = [
    "APPROX",
    "YEAR_TO_DATE_KINDS",
    "accepts_year_to_date",
    "first_owed_year",
    "year_to_date_refusal",
]

APPROX = "左右"  # the qualifier of an approximate target: a tolerance on the final value
YEAR_TO_DATE_KINDS = frozenset({Kind.YEARLY_FLOW, Kind.CUMULATIVE, Kind.GROWTH_RATE})


class _Kinded(Protocol):
    @property
    def kind(self) -> Kind: ...


def accepts_year_to_date(entry: _Kinded) -> bool:
    """Whether a year-to-date figure of ``entry`` is judged. An indicator owed quarterly or
    monthly reports its periods whatever its kind; an annual one only for the flow kinds."""
    frequency = getattr(entry, "frequency", Frequency.ANNUAL)
    return frequency is not Frequency.ANNUAL or entry.kind in YEAR_TO_DATE_KINDS


def year_to_date_refusal(kind: Kind, period: str) -> str:
    """Why a year-to-date ``period`` of an entry of ``kind`` is refused (for an entry that
    ``accepts_year_to_date`` refuses)."""
    return (
        f"{period} is a year-to-date period, but this annual indicator ({kind.value}) is "
        "reported for the full year only: send YYYY"
    )


def first_owed_year(entry: _Kinded) -> int:
    """The first year whose figure the bureau owes: the year after the plan start, or the start
    year itself for a rank gain without a starting rank in the plan."""
    start = int(getattr(entry, "start_year"))  # noqa: B009
    if entry.kind is Kind.RANKING_CHANGE and getattr(entry, "baseline", None) is None:
        return start
    return start + 1
