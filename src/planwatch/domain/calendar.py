"""The reporting calendar: when each figure can first exist, when it is due, who owes it.

A chase is only fair when the figure can exist. Each kind of statistic is published some time
after the period it describes (``Statistic``): R&D spending and 科技进步贡献率 late in the
following year, the statistical communiqué's figures in the spring, the counts a department
keeps itself at the year's end. From that date a bureau has ``grace_days`` to report it (the
due date); a reminder goes ``remind_days`` before the due date, a chase to the publishing body
after it, and ``escalate_after_days`` after the due date the supervising body is told.

Pure: ``duties`` takes the catalog's entries, the periods already reported and a date, and says
what is owed; nothing here reads a clock or a store. A statistic several plans target is one
series: it is owed once, to its publisher, on behalf of every target it feeds.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache

from planwatch.domain.model import CatalogEntry, Frequency, Kind, Statistic
from planwatch.domain.periods import Period, PeriodKind, canonical_label, parse_period

__all__ = [
    "DEFAULT_LAG_MONTHS",
    "Action",
    "Duty",
    "Policy",
    "Slot",
    "addressees",
    "due_rule",
    "duties",
    "owed_period",
    "remind_period",
    "slots",
]

# Months after the end of a year before its figure can exist, per kind of statistic (the
# defaults; docs/catalog.md gives the reasons). A quarterly or monthly figure is a month later.
DEFAULT_LAG_MONTHS: Mapping[Statistic, int] = {
    Statistic.RD_SURVEY: 11,  # 30 November: provincial R&D bulletin, 科技进步贡献率 measured
    Statistic.EVALUATION: 11,  # 30 November: national evaluation reports and rankings
    Statistic.YEARBOOK: 10,  # 31 October: the statistical yearbook
    Statistic.FISCAL: 8,  # 31 August: final accounts (决算) approved in the summer
    Statistic.STATISTICS: 3,  # 31 March: the statistical communiqué
    Statistic.TECH_MARKET: 2,  # end of February: the year's registered technology contracts
    Statistic.PLAN_OFFICE: 0,  # 31 December: counts the department keeps itself
}
SUBANNUAL_LAG_MONTHS = 1  # monthly and quarterly statistics: a month after the period

# kinds whose every period is a figure of its own; for the others a later figure supersedes
# an earlier one that never came (a level reached, a rank, a stock)
_FLOWS = frozenset((Kind.CUMULATIVE, Kind.YEARLY_FLOW))


class Action(StrEnum):
    REMIND = "remind"  # before the due date: to the publisher, the figure will be due
    CHASE = "chase"  # after the due date: to the publisher, the figure is owed
    ESCALATE = "escalate"  # long after: the supervising body is told


ACTION_LABELS = {Action.REMIND: "提醒", Action.CHASE: "催报", Action.ESCALATE: "督办"}


def addressees(
    action: Action,
    publishers: Iterable[str],
    leads: Iterable[str],
    supervisors: Iterable[str] = (),
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Who a notice of ``action`` is sent to, and who is copied (抄送): a reminder and a chase go
    to the body that publishes the figure, with the lead agencies of the targets it measures
    copied (they answer for those targets); an escalation goes to the supervising body, with
    the publisher and the leads copied. Each name once, in order; nobody both sent to and
    copied. ``planwatch calendar`` and the alerts service both ask this function."""
    if action is Action.ESCALATE:
        to, copied = tuple(dict.fromkeys(supervisors)), (*publishers, *leads)
    else:
        to, copied = tuple(dict.fromkeys(publishers)), tuple(leads)
    return to, tuple(name for name in dict.fromkeys(copied) if name not in to)


@dataclass(frozen=True)
class Policy:
    """How long after a figure can exist it is due, and when to remind and escalate."""

    grace_days: int = 30
    remind_days: int = 14
    escalate_after_days: int = 60
    lag_months: Mapping[Statistic, int] = field(default_factory=lambda: dict(DEFAULT_LAG_MONTHS))

    def __post_init__(self) -> None:
        for name in ("grace_days", "remind_days", "escalate_after_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must not be negative, got {getattr(self, name)}")
        missing = set(Statistic) - set(self.lag_months)
        if missing:
            raise ValueError(f"lag_months: no lag for {sorted(missing)}")

    def lag(self, statistic: Statistic, frequency: Frequency) -> int:
        if frequency is not Frequency.ANNUAL:
            return SUBANNUAL_LAG_MONTHS
        return self.lag_months[statistic]


DEFAULT_POLICY = Policy()


def _add_months(end: date, months: int) -> date:
    """The last day of the month ``months`` after the month of ``end`` (a month's end)."""
    index = end.year * 12 + end.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, _calendar.monthrange(year, month + 1)[1])


@dataclass(frozen=True)
class Slot:
    """One period of one statistic: when it can exist, when it is due."""

    period: str  # canonical label
    available: date  # the first day the figure can exist: never chased before
    due: date

    def remind_from(self, policy: Policy) -> date:
        return max(self.available, self.due - timedelta(days=policy.remind_days))

    def escalate_from(self, policy: Policy) -> date:
        return self.due + timedelta(days=policy.escalate_after_days)


def _periods(frequency: Frequency, first_year: int, last_year: int) -> list[Period]:
    labels: list[str] = []
    for year in range(first_year, last_year + 1):
        if frequency is Frequency.ANNUAL:
            labels.append(f"{year}")
        elif frequency is Frequency.QUARTERLY:
            labels += [f"{year}-Q{q}" for q in (1, 2, 3, 4)]
        else:
            labels += [f"{year}-{m:02d}" for m in range(1, 13)]
    return [parse_period(label).canonical(frequency) for label in labels]


def year_due(entry: CatalogEntry, year: int, policy: Policy = DEFAULT_POLICY) -> date:
    """When the full-year figure of ``year`` is due: the day it can first exist (the end of the
    year plus the statistic's publication lag) plus the grace. A target year whose figure is
    still missing after this day is judged without it."""
    if policy is DEFAULT_POLICY:
        return _default_year_due(entry.statistic, year)
    return _year_due(entry.statistic, year, policy)


@lru_cache(maxsize=1024)
def _default_year_due(statistic: Statistic, year: int) -> date:
    """``year_due`` under the default policy, which every assessment of a target year asks
    for: a handful of statistics and years (a ``Policy`` itself is not hashable)."""
    return _year_due(statistic, year, DEFAULT_POLICY)


def _year_due(statistic: Statistic, year: int, policy: Policy) -> date:
    lag = policy.lag(statistic, Frequency.ANNUAL)
    available = _add_months(date(year, 12, 31), lag) if lag else date(year, 12, 31)
    return available + timedelta(days=policy.grace_days)


def slots(entry: CatalogEntry, policy: Policy = DEFAULT_POLICY) -> list[Slot]:
    """Every period of the entry from the plan's first year to its last target, in order."""
    lag = policy.lag(entry.statistic, entry.frequency)
    out = []
    for period in _periods(entry.frequency, entry.first_year, entry.last_year):
        available = _add_months(period.end_date, lag) if lag else period.end_date
        out.append(Slot(period.label, available, available + timedelta(days=policy.grace_days)))
    return out


def due_rule(entry: CatalogEntry, policy: Policy = DEFAULT_POLICY) -> dict[str, object]:
    """The calendar's rule for an entry, as ``planwatch catalog export`` shows it (``due``)."""
    lag = policy.lag(entry.statistic, entry.frequency)
    first = slots(entry, policy)[0]
    if entry.frequency is Frequency.ANNUAL:
        when = "当年年底" if lag == 0 else f"次年{lag}月底"
        text = f"{when}可得,其后{policy.grace_days}日内报送"
    else:
        text = f"期末后{lag}个月可得,其后{policy.grace_days}日内报送"
    return {
        "frequency": entry.frequency.value,
        "statistic": entry.statistic.value,
        "lag_months": lag,
        "grace_days": policy.grace_days,
        "remind_days": policy.remind_days,
        "escalate_after_days": policy.escalate_after_days,
        "first_period": first.period,
        "first_available": first.available.isoformat(),
        "first_due": first.due.isoformat(),
        "rule": text,
    }


@dataclass(frozen=True)
class Duty:
    """What is owed for one period of one statistic on ``as_of``, and to whom it is said."""

    series: str
    targets: tuple[str, ...]  # the entry ids the figure feeds
    jurisdiction: str
    period: str
    available: date
    due: date
    action: Action
    to: tuple[str, ...]  # the publishing body; the supervising body on escalation
    copied: tuple[str, ...]  # the targets' lead agencies (and the publisher on escalation)
    days_overdue: int  # negative before the due date

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]


class _Series:
    """The targets one statistic feeds in one jurisdiction: owed once for all of them."""

    def __init__(self, members: tuple[CatalogEntry, ...], policy: Policy) -> None:
        self.members, self.policy = members, policy

    @property
    def first(self) -> CatalogEntry:
        return self.members[0]

    @cached_property
    def slots(self) -> list[Slot]:
        merged: dict[str, Slot] = {}
        for entry in self.members:
            for slot in slots(entry, self.policy):
                merged.setdefault(slot.period, slot)
        return sorted(merged.values(), key=lambda s: parse_period(s.period).decimal_year)

    @property
    def flow(self) -> bool:
        return any(e.kind in _FLOWS for e in self.members)

    @property
    def leads(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for e in self.members for n in e.lead_agencies))

    @property
    def supervisors(self) -> tuple[str, ...]:
        names = (e.supervisor or e.lead_agencies[0] for e in self.members)
        return tuple(dict.fromkeys(names))


def _group(entries: Iterable[CatalogEntry], policy: Policy) -> list[_Series]:
    groups: dict[tuple[str, str], list[CatalogEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.series, entry.jurisdiction), []).append(entry)
    return [_Series(tuple(members), policy) for members in groups.values()]


def _covered(series: _Series, reported: set[str]) -> set[str]:
    """The periods not owed: reported, or (for a level, a rank, a stock) superseded by a later
    reported figure."""
    if series.flow or not reported:
        return reported
    latest = max(parse_period(p).decimal_year for p in reported)
    return {s.period for s in series.slots if parse_period(s.period).decimal_year <= latest}


def _reported(series: _Series, reported: Mapping[str, Iterable[str]]) -> set[str]:
    """The canonical periods reported for any target of the series (one figure feeds all)."""
    frequency = series.first.frequency
    out: set[str] = set()
    for entry in series.members:
        for label in reported.get(entry.id, ()):
            out.add(canonical_label(label, frequency))
    for label in reported.get(series.first.series, ()):
        out.add(canonical_label(label, frequency))
    return out


def duties(
    entries: Iterable[CatalogEntry],
    reported: Mapping[str, Iterable[str]],
    as_of: date,
    policy: Policy = DEFAULT_POLICY,
) -> list[Duty]:
    """What is owed on ``as_of``: a reminder for each figure due within ``remind_days``, a
    chase for each figure past its due date and not reported (never reported since the plan
    start included), an escalation past ``escalate_after_days``. ``reported`` maps an entry id
    (or a series id) to the periods reported for it. A figure that cannot exist yet is never
    chased or reminded of. Sorted by due date, then series."""
    out: list[Duty] = []
    for series in _group(entries, policy):
        done = _covered(series, _reported(series, reported))
        first = series.first
        for slot in series.slots:
            if slot.period in done or as_of < slot.remind_from(policy):
                continue
            days = (as_of - slot.due).days
            if as_of < slot.due:
                action = Action.REMIND
            elif as_of < slot.escalate_from(policy):
                action = Action.CHASE
            else:
                action = Action.ESCALATE
            to, copied = addressees(action, (first.publisher,), series.leads, series.supervisors)
            out.append(
                Duty(
                    series=first.series,
                    targets=tuple(e.id for e in series.members),
                    jurisdiction=first.jurisdiction,
                    period=slot.period,
                    available=slot.available,
                    due=slot.due,
                    action=action,
                    to=to,
                    copied=copied,
                    days_overdue=days,
                )
            )
    out.sort(key=lambda d: (d.due, d.series, d.jurisdiction))
    return out


def owed_period(
    entry: CatalogEntry, reported: Iterable[str], as_of: date, policy: Policy = DEFAULT_POLICY
) -> tuple[Slot, bool] | None:
    """The latest period of ``entry`` past its due date on ``as_of`` and not reported (nor, for
    a level, superseded by a later figure), with whether it is past escalation; None when
    nothing is owed. What the evaluator's overdue check asks for one key."""
    series = _Series((entry,), policy)
    done = _covered(series, {canonical_label(p, entry.frequency) for p in reported})
    owed = [s for s in series.slots if s.period not in done and s.due <= as_of]
    if not owed:
        return None
    slot = owed[-1]
    return slot, as_of >= slot.escalate_from(policy)


def remind_period(
    entry: CatalogEntry,
    reported: Iterable[str],
    as_of: date,
    policy: Policy = DEFAULT_POLICY,
    after: str | None = None,
) -> Slot | None:
    """The period of ``entry`` to remind its publisher of on ``as_of``: not reported (nor, for
    a level, superseded by a later figure), on or after its reminder date
    (``Slot.remind_from``) and before its due date; None when there is none. ``after``: the
    period last reminded of, so that only later periods are (the earliest first). Past the due
    date a period is chased (``owed_period``), never reminded of: a reminder that comes late is
    not sent. What the evaluator's reminder check asks for one key."""
    series = _Series((entry,), policy)
    done = _covered(series, {canonical_label(p, entry.frequency) for p in reported})
    floor = parse_period(after).decimal_year if after else None
    for slot in series.slots:
        if slot.period in done or not slot.remind_from(policy) <= as_of < slot.due:
            continue
        if floor is not None and parse_period(slot.period).decimal_year <= floor:
            continue
        return slot
    return None


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``; ValueError naming the format otherwise."""
    period = parse_period(month)
    if period.kind is not PeriodKind.MONTH:
        raise ValueError(f"month: {month!r} is not YYYY-MM")
    start = date(period.year, period.months, 1)
    return start, _add_months(start, 0)
