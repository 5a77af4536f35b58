"""What a bureau owes now and next, by the reporting calendar (``planwatch.domain.calendar``).

``owed`` is the one call the pages make. For each indicator of the bureau's jurisdictions: the
latest period whose figure can exist by today (owed now; overdue after its due date) and the
first period whose figure cannot exist yet (owed next), within the years its plan covers. A
figure is never asked for before it can exist: R&D spending of a year, surveyed late in the
following year, is owed only from then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from planwatch.catalog import Catalog
from planwatch.domain.calendar import slots
from planwatch.domain.model import CatalogEntry
from planwatch.domain.periods import parse_period

__all__ = ["Owed", "owed"]


@dataclass(frozen=True)
class Owed:
    entry: CatalogEntry
    period: str
    period_end: date
    due: date
    now: bool  # the figure can exist: owed now (overdue after ``due``)


def owed(
    catalog: Catalog, jurisdictions: Iterable[str], today: date, *, all_jurisdictions: bool = False
) -> list[Owed]:
    """Per indicator of the jurisdictions: the latest period whose figure can exist (owed now)
    and the next one (owed next), from the calendar's slots of the entry."""
    wanted = set(jurisdictions)
    out: list[Owed] = []
    for entry in catalog:
        if not all_jurisdictions and entry.jurisdiction not in wanted:
            continue
        periods = slots(entry)
        ready = [s for s in periods if s.available <= today]
        later = [s for s in periods if s.available > today]
        for slot, now in (
            (ready[-1] if ready else None, True),
            (later[0] if later else None, False),
        ):
            if slot is not None:
                end = parse_period(slot.period).end_date
                out.append(Owed(entry, slot.period, end, slot.due, now))
    return out
