"""What the catalog allows for each indicator, precomputed once so a row is checked by lookups."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from planwatch.catalog import Catalog
from planwatch.domain.kinds import accepts_year_to_date
from planwatch.domain.model import CatalogEntry, Frequency, Kind
from planwatch.domain.periods import PeriodError, canonical_label
from planwatch.domain.units import is_count, is_percent

__all__ = ["MAX_ABS", "EntryRule", "canonical_series", "fold_name", "rules_for"]

MAX_ABS = 1e15  # no plan figure comes near this; larger numbers are typos or attacks

# Traditional characters of jurisdiction names, folded so 蘭白兩區 finds 兰白两区.
_FOLD = str.maketrans(
    "蘭兩區縣廣東龍陽門臺灣華蘇開發際場園會", "兰两区县广东龙阳门台湾华苏开发际场园会"
)


def fold_name(name: str) -> str:
    return name.strip().translate(_FOLD)


@dataclass(frozen=True, slots=True)
class EntryRule:
    id: str
    jurisdiction: str
    unit: str
    first_year: int  # earliest period year a figure may be for (baseline or plan start)
    last_year: int  # latest: the plan's end or the last target year
    frequency: Frequency  # decides the canonical label of a period (Period.canonical)
    share: bool  # a share in %: 0–100
    growth: bool  # a growth rate in %: above -100
    count: bool  # a count: never negative
    ranking: bool  # a rank: 1 or more
    low: float  # the bounds above as numbers, for the fast path of the row check
    high: float
    kind: Kind = Kind.LEVEL
    year_to_date: bool = True  # a YYYY-Qn / YYYY-MM figure is taken (domain.kinds)


def _rule(entry: CatalogEntry, plan_end: int) -> EntryRule:
    first = entry.start_year
    if entry.baseline is not None:
        first = min(first, entry.baseline.year)
    percent = is_percent(entry.unit)
    share = percent and entry.kind not in (Kind.GROWTH_RATE, Kind.RANKING_CHANGE)
    growth = entry.kind is Kind.GROWTH_RATE
    count = is_count(entry.unit) and entry.kind is not Kind.RANKING_CHANGE
    ranking = entry.kind is Kind.RANKING
    low, high = -MAX_ABS, MAX_ABS
    if share:
        low, high = 0.0, 100.0
    elif growth:
        low = math.nextafter(-100.0, 0.0)
    elif ranking:
        low = 1.0
    elif count:
        low = 0.0
    return EntryRule(
        id=entry.id,
        jurisdiction=entry.jurisdiction,
        unit=entry.unit,
        first_year=first,
        last_year=max(plan_end, entry.last_year),
        frequency=entry.frequency,
        share=share,
        growth=growth,
        count=count,
        ranking=ranking,
        low=low,
        high=high,
        kind=entry.kind,
        year_to_date=accepts_year_to_date(entry),
    )


def rules_for(catalog: Catalog) -> Mapping[str, EntryRule]:
    """One rule per catalog entry id."""
    rules = {}
    for entry in catalog:
        plan = catalog.plans.get(entry.plan_code)
        rules[entry.id] = _rule(entry, plan.end_year if plan else entry.last_year)
    return rules


def canonical_series(rules: Mapping[str, EntryRule]) -> Callable[[str], str]:
    """A series ``indicator_id|jurisdiction|period`` → the same with the period's canonical
    label for the indicator's frequency (series of unknown indicators are left as they are)."""
    frequencies = {rule.id: rule.frequency for rule in rules.values()}

    def canonical(series: str) -> str:
        head, _, period = series.rpartition("|")
        frequency = frequencies.get(head.partition("|")[0])
        if frequency is None:
            return series
        try:
            label = canonical_label(period, frequency)
        except PeriodError:
            return series
        return series if label == period else f"{head}|{label}"

    return canonical
