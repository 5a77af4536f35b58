"""What a bureau owes now and next, from the catalog.

``owed`` is the one call the pages make: a reporting calendar kept in the catalog can replace
its body without touching them. Until then the rule is the evaluator's overdue rule: a figure
for a period is due a number of days after the period ends (annual 90, quarterly 45, monthly
20 — ``annual_due_days`` … of the evaluator's settings), for the years the plan covers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from planwatch.catalog import Catalog
from planwatch.domain.model import CatalogEntry, Frequency

__all__ = ["DUE_DAYS", "Owed", "owed"]

DUE_DAYS = {Frequency.ANNUAL: 90, Frequency.QUARTERLY: 45, Frequency.MONTHLY: 20}


@dataclass(frozen=True)
class Owed:
    entry: CatalogEntry
    period: str
    period_end: date
    due: date
    now: bool  # the period has ended: the figure is owed now (overdue after ``due``)


def _periods(entry: CatalogEntry, year: int) -> Iterable[tuple[str, date]]:
    if entry.frequency is Frequency.QUARTERLY:
        for q in range(1, 5):
            end = date(year, 3 * q, 1) + timedelta(days=31)
            yield (f"{year}-Q{q}" if q < 4 else str(year)), end.replace(day=1) - timedelta(1)
    elif entry.frequency is Frequency.MONTHLY:
        for m in range(1, 13):
            first_next = date(year + (m == 12), m % 12 + 1, 1)
            yield (f"{year}-{m:02d}" if m < 12 else str(year)), first_next - timedelta(1)
    else:
        yield str(year), date(year, 12, 31)


def owed(
    catalog: Catalog, jurisdictions: Iterable[str], today: date, *, all_jurisdictions: bool = False
) -> list[Owed]:
    """Per indicator of the jurisdictions: the latest period that has ended (owed now) and the
    period running today (owed next), within the years its plan covers."""
    wanted = set(jurisdictions)
    out: list[Owed] = []
    for entry in catalog:
        if not all_jurisdictions and entry.jurisdiction not in wanted:
            continue
        plan = catalog.plans.get(entry.plan_code)
        last = max(plan.end_year if plan else entry.last_year, entry.last_year)
        candidates = [
            (label, end)
            for year in range(entry.first_year, last + 1)
            for label, end in _periods(entry, year)
        ]
        ended = [c for c in candidates if c[1] < today]
        running = [c for c in candidates if c[1] >= today]
        days = DUE_DAYS[entry.frequency]
        if ended:
            label, end = ended[-1]
            out.append(Owed(entry, label, end, end + timedelta(days=days), True))
        if running:
            label, end = running[0]
            out.append(Owed(entry, label, end, end + timedelta(days=days), False))
    return out
