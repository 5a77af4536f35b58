"""From observations to the measured series a kind is judged on.

A row is a plain tuple ``(t, value, year, fraction, label)``: ``t`` the end of the period in
decimal years (``2024`` → 2024.0, ``2024-Q2`` → 2023.5), ``fraction`` the share of the year a
year-to-date period covers, ``label`` the canonical period. Tuples, because this runs for
every assessment and a handful of rows per call make object construction the main cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Protocol

from planwatch.domain.periods import parse_period
from planwatch.domain.trajectory.plan import PLACES_GAINED, RUNNING_TOTAL, Plan

__all__ = [
    "ObservationLike",
    "Row",
    "full_year",
    "known_rows",
    "measured",
    "missing_year",
    "row_for_year",
]

Row = tuple[float, float, int, float, str]


class ObservationLike(Protocol):
    @property
    def period(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def vintage(self) -> int: ...


# period text → (year, t, fraction, label); a few thousand distinct periods at most
_PERIODS: dict[str, tuple[int, float, float, str]] = {}
_by_t = itemgetter(0)


def _period(text: str) -> tuple[int, float, float, str]:
    info = _PERIODS.get(text)
    if info is None:
        p = parse_period(text)  # raises PeriodError naming the bad period
        info = (p.year, p.decimal_year, p.fraction_of_year, p.label)
        if len(_PERIODS) < 65536:
            _PERIODS[text] = info
    return info


def known_rows(observations: Sequence[ObservationLike], last_year: int) -> list[Row]:
    """One row per period, the highest vintage (the later one on a tie), in time order.

    Periods of years after ``last_year`` (the year of ``as_of``) had not begun: ignored.
    """
    best: dict[str, tuple[int, tuple[int, float, float, str], float]] = {}
    for obs in observations:
        info = _PERIODS.get(obs.period) or _period(obs.period)
        if info[0] > last_year:
            continue
        label = info[3]
        known = best.get(label)
        if known is None or obs.vintage >= known[0]:
            best[label] = (obs.vintage, info, obs.value)
    rows = [(i[1], float(v), i[0], i[2], i[3]) for _, i, v in best.values()]
    rows.sort(key=_by_t)
    return rows


def missing_year(rows: list[Row], first: int) -> int | None:
    """The first year from ``first`` on without a full-year figure while a later year has a
    figure: a running total cannot be known from there on."""
    if not rows:
        return None
    full = {r[2] for r in rows if r[3] >= 1.0}
    for year in range(first, rows[-1][2]):
        if year not in full:
            return year
    return None


def _running_total(rows: list[Row], base: tuple[float, float]) -> list[Row]:
    """累计: earlier years' flows plus this period's (year to date) flow, from the base year.

    The total stops before the first year whose full-year figure is missing (``missing_year``):
    a missing year is unknown, never 0.
    """
    y0, total = int(base[0]), base[1]
    gap = missing_year(rows, y0 + 1)
    out: list[Row] = []
    year, flow = None, 0.0
    for t, v, y, f, label in rows:
        if y <= y0:
            continue  # before the plan period
        if gap is not None and y >= gap:
            break
        if y != year:
            total += flow
            year, flow = y, 0.0
        flow = v
        out.append((t, total + v, y, f, label))
    return out


def measured(plan: Plan, rows: list[Row]) -> list[Row]:
    """The series compared with the targets of ``plan``."""
    if plan.measure == RUNNING_TOTAL:
        assert plan.base is not None  # a cumulative plan always has one (zero at the start)
        return _running_total(rows, plan.base)
    if plan.measure == PLACES_GAINED and rows:
        start = start_rank(plan, rows)
        if start is None:
            return []  # places gained count from the start-year rank, which is not in
        return [(t, start - v, y, f, label) for t, v, y, f, label in rows if y >= plan.start]
    return rows


def start_rank(plan: Plan, rows: list[Row]) -> float | None:
    """The rank places gained are counted from: the plan's, else the one of the start year."""
    if plan.rank_base is not None:
        return plan.rank_base[1]
    row = full_year(rows, plan.start)
    return row[1] if row is not None else None


def full_year(points: list[Row], year: int) -> Row | None:
    """The full-year figure of ``year``, if it is in."""
    for row in reversed(points):
        if row[2] == year and row[3] >= 1.0:
            return row
        if row[2] < year:
            break
    return None


def row_for_year(points: list[Row], year: int) -> Row | None:
    """The figure of ``year`` (its latest period); before that year, the latest figure as the
    current pace; None when the year has passed without a figure."""
    last = points[-1]
    if last[2] <= year:
        return last
    for row in reversed(points):
        if row[2] == year:
            return row
        if row[2] < year:
            break
    return None
