"""What the catalog allows for each indicator, precomputed once so a row is checked by lookups."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from planwatch.catalog import Catalog
from planwatch.domain.chinese import to_simplified
from planwatch.domain.kinds import accepts_year_to_date
from planwatch.domain.model import CatalogEntry, Frequency, Kind
from planwatch.domain.periods import PeriodError, canonical_label
from planwatch.domain.units import is_count, is_percent

__all__ = ["MAX_ABS", "EntryRule", "canonical_series", "fold_name", "rules_for"]

MAX_ABS = 1e15  # no plan figure comes near this; larger numbers are typos or attacks


def fold_name(name: str) -> str:
    """A jurisdiction's name in Simplified characters (OpenCC), so 蘭白兩區 finds 兰白两区."""
    return to_simplified(name.strip())


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
    # the catalog entries a figure of this statistic updates: a series several plans target
    # is one rule (``id`` the series id), found under the series id and each entry's id
    targets: tuple[str, ...] = ()


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


def _merged(series: str, rules: list[EntryRule]) -> EntryRule:
    """One rule for the entries of a series (one jurisdiction, unit and frequency, which the
    catalog checks): a figure must fit every target's bounds and years."""
    first = rules[0]
    return EntryRule(
        id=series,
        jurisdiction=first.jurisdiction,
        unit=first.unit,
        first_year=min(r.first_year for r in rules),
        last_year=max(r.last_year for r in rules),
        frequency=first.frequency,
        share=any(r.share for r in rules),
        growth=any(r.growth for r in rules),
        count=any(r.count for r in rules),
        ranking=any(r.ranking for r in rules),
        low=max(r.low for r in rules),
        high=min(r.high for r in rules),
        kind=first.kind,
        year_to_date=all(r.year_to_date for r in rules),
        targets=tuple(r.id for r in rules),
    )


def rules_for(catalog: Catalog) -> Mapping[str, EntryRule]:
    """One rule per statistic, found under its series id and under each of its entries' ids:
    a figure sent under any of them is the statistic's, and updates every target of it."""
    own: dict[str, EntryRule] = {}
    for entry in catalog:
        plan = catalog.plans.get(entry.plan_code)
        own[entry.id] = _rule(entry, plan.end_year if plan else entry.last_year)
    rules: dict[str, EntryRule] = {}
    for series, ids in catalog.series.items():
        rule = _merged(series, [own[i] for i in ids])
        rules[series] = rule
        for entry_id in ids:
            rules[entry_id] = rule
    return rules


def canonical_series(rules: Mapping[str, EntryRule]) -> Callable[[str], str]:
    """A series ``indicator_id|jurisdiction|period`` → the same under the statistic's series id
    with the period's canonical label for its frequency (series of unknown indicators are left
    as they are)."""
    frequencies = {name: rule.frequency for name, rule in rules.items()}
    ids = {name: rule.id for name, rule in rules.items()}

    def canonical(series: str) -> str:
        head, _, period = series.rpartition("|")
        indicator, _, jurisdiction = head.partition("|")
        frequency = frequencies.get(indicator)
        if frequency is None:
            return series
        # a figure kept under an entry's id is its statistic's: the series id names it now
        head = f"{ids[indicator]}|{jurisdiction}"
        try:
            label = canonical_label(period, frequency)
        except PeriodError:
            return f"{head}|{period}"
        return f"{head}|{label}"

    return canonical
