"""What the evaluator does with one submission, as plain functions over a key's state.

The faust agent (``app.py``) keeps one ``KeyState`` (``state.py``) per (indicator, jurisdiction)
key in a table and calls ``evaluate``; everything here is testable without a broker.

Periods are kept under their canonical label for the entry's frequency (``Period.canonical``):
a figure sent as ``2025-12`` and one sent as ``2025`` are the same observation. Events published
before ingest made labels canonical, and states saved before this evaluator did, are brought to
the canonical labels on the way in.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter

import orjson

from planwatch.catalog import Catalog
from planwatch.domain import calendar
from planwatch.domain.assessment import assess_rows
from planwatch.domain.assessment_model import Assessment, headline_tier
from planwatch.domain.events import (
    AssessmentEvent,
    Status,
    StatusChange,
    SubmissionEvent,
    partition_key,
)
from planwatch.domain.identity_cache import IdentityCache
from planwatch.domain.model import CatalogEntry, Frequency, one_line
from planwatch.domain.periods import canonical_label, parse_period
from planwatch.domain.status import STATUS_INFO
from planwatch.domain.trajectory.series import Row
from planwatch.tsstore import Point
from planwatch_evaluator.state import KeyState

__all__ = [
    "STATUS_CODE",
    "KeyState",
    "Outcome",
    "canonical_state",
    "derived_id",
    "evaluate",
    "new_state",
    "overdue_change",
    "overdue_changes",
    "reminder_change",
    "seen_mark",
    "status_points",
    "to_json",
]

# Event ids remembered per key, to drop redelivered events. A redelivery is at most the batch
# that was in flight at a crash; an older event applied again changes nothing (same vintage,
# same value, same verdict) and re-sends events with the same ids, which consumers dedupe.
SEEN_KEEP = 128
SEEN_MARK = 8  # bytes of an event id's hash kept (16 hex digits)
STATUS_CODE = {s: i.code for s, i in STATUS_INFO.items()}  # planwatch.domain.status


_by_t = itemgetter(0)
_IDS = b"planwatch-evaluator-event-ids"


def derived_id(*parts: str) -> str:
    """An event id fixed by what caused the event: a re-emission after a crash carries the
    same id, so consumers that dedupe by ``event_id`` (the alerts service) see it once.
    32 hex digits, like the random ids (a keyed hash: a fifth of the cost of ``uuid5``)."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16, key=_IDS).hexdigest()


def to_json(event: AssessmentEvent | StatusChange) -> bytes:
    """``event.to_bytes()``, the same bytes, at a third of the cost: the fields as they stand
    (validated when the event was built) written by orjson instead of pydantic's serializer.
    Both write floats the shortest way that reads back the same, NaN and infinity as null,
    UTC times with a ``Z``, enums by value (the unit tests compare them)."""
    return orjson.dumps(event.__dict__, option=orjson.OPT_UTC_Z)


# ``entry.snapshot()``, made once per entry (entries are immutable and an event copies the
# dict it is given)
_snapshot: IdentityCache[CatalogEntry, dict[str, object]] = IdentityCache(
    lambda entry: entry.snapshot()
)


def new_state() -> KeyState:
    return KeyState()


def canonical_state(state: KeyState, frequency: Frequency) -> KeyState:
    """The state with its observations under the canonical labels for ``frequency``.

    A state saved before the labels were canonical (or for another frequency of the entry) may
    hold one period under two labels (``2025`` and ``2025-12``): they become one, the highest
    vintage kept (on a tie, the label stored later). The state itself when already canonical.
    """
    if state.periods == frequency:
        return state
    obs: dict[str, tuple[int, float]] = {}
    for label, (vintage, value) in state.obs.items():
        canonical = canonical_label(label, frequency)
        known = obs.get(canonical)
        if known is None or vintage >= known[0]:
            obs[canonical] = (vintage, value)
    overdue, reminded = state.overdue, state.reminded
    if overdue:
        overdue = canonical_label(overdue, frequency)
    if reminded:
        reminded = canonical_label(reminded, frequency)
    # the rows cache is left behind: it is rebuilt from the new observations
    return replace(
        state, obs=obs, overdue=overdue, reminded=reminded, periods=frequency.value, rows=None
    )


@dataclass(frozen=True)
class Outcome:
    state: KeyState
    points: list[Point]
    assessment: AssessmentEvent | None
    change: StatusChange | None
    duplicate: bool = False
    # final verdicts of complete target years the headline has left, sent before ``change``
    finals: tuple[StatusChange, ...] = ()


@lru_cache(maxsize=8192)
def _period_time(label: str) -> datetime:
    end = parse_period(label).end_date
    return datetime(end.year, end.month, end.day, tzinfo=UTC)


def _tags(entry: CatalogEntry) -> dict[str, str]:
    return {
        "indicator_id": entry.id,
        "jurisdiction": entry.jurisdiction,
        "plan": entry.plan_code,
        "kind": entry.kind.value,
        "lead_agency": entry.lead_agencies[0] if entry.lead_agencies else "none",
    }


Tags = tuple[tuple[str, str], ...]
_SERIES: IdentityCache[CatalogEntry, dict[tuple[str, str], Tags]] = IdentityCache(lambda e: {})


def _series(entry: CatalogEntry, name: str, value: str) -> Tags:
    """The sorted tag pairs ``Point.make`` makes of the entry's tags plus ``name=value`` (the
    entry's tags alone for ``name`` ""), made once per entry and extra tag."""
    made = _SERIES(entry)
    tags = made.get((name, value))
    if tags is None:
        extra = {name: value} if name else {}
        tags = made[name, value] = tuple(sorted({**_tags(entry), **extra}.items()))
    return tags


_point = Point.with_sorted_tags


def status_points(entry: CatalogEntry, a: Assessment, with_targets: bool = True) -> list[Point]:
    """The assessment of the latest period, per tier, and (``with_targets``) the targets."""
    if a.latest_period is None:
        return []
    when = _period_time(a.latest_period)
    status = a.status
    points = [
        _point(
            "assessment",
            _series(entry, "tier", a.tier or "none"),
            {
                "observed": a.latest_value,
                "planned": a.planned,
                "gap": a.gap,
                "gap_pct": a.gap_pct,
                "progress_ratio": a.progress_ratio,
                "projected": a.projected,
                "target": a.target_value,
                "target_year": a.target_year,
                "status": status.value,
                "status_code": STATUS_CODE[status],
            },
            when,
        )
    ]
    for tier, result in a.tiers.items():
        status = result.status
        points.append(
            _point(
                "tier_assessment",
                _series(entry, "tier", tier),
                {
                    "status": status.value,
                    "status_code": STATUS_CODE[status],
                    "progress_ratio": result.progress_ratio,
                    "planned": result.planned,
                    "gap": result.gap,
                    "target": result.target,
                },
                when,
            )
        )
    if not with_targets:
        return points
    for target in entry.targets:
        points.append(
            _point(
                "target",
                _series(entry, "tier", target.tier.value if target.tier else "none"),
                {
                    "value": target.value,
                    "value_max": target.value_max,
                    # for boards that read the store alone: what the target is and the
                    # plan's own words for it
                    "indicator": entry.indicator_simplified,
                    "source": one_line(entry.source_quote),
                },
                datetime(target.year, 12, 31, tzinfo=UTC),
            )
        )
    return points


def _row(label: str, value: float) -> Row:
    p = parse_period(label)
    return (p.decimal_year, float(value), p.year, p.fraction_of_year, p.label)


def _rows(state: KeyState) -> list[Row]:
    """The rows of the state's observations as ``known_rows`` orders them (by time; equal
    times in the order their periods were first stored)."""
    rows = state.rows
    if rows is None:
        rows = [_row(label, value) for label, (_vintage, value) in state.obs.items()]
        rows.sort(key=_by_t)
    return rows


def _with_row(rows: list[Row], label: str, value: float, new: bool) -> list[Row]:
    """A copy of ``rows`` with the figure of ``label`` added (``new``) or replaced."""
    row = _row(label, value)
    out = list(rows)
    if new:  # after the rows of the same time: its period is the last one stored
        out.insert(bisect_right(out, row[0], key=_by_t), row)
        return out
    for i in range(bisect_left(out, row[0], key=_by_t), len(out)):
        if out[i][4] == label:
            out[i] = row
            return out
    raise AssertionError(f"{label} is in the observations but not in the rows")


def seen_mark(event_id: str) -> str:
    """What the state keeps of an event id: a 64-bit hash (full ids made each state record
    ~9 kB, most of what every batch writes to the changelog). A hash, not a prefix: ingest's
    ids share their first digits within a request."""
    return hashlib.blake2b(event_id.encode(), digest_size=SEEN_MARK).hexdigest()


def evaluate(
    entry: CatalogEntry,
    state: KeyState,
    event: SubmissionEvent,
    catalog_version: str,
) -> Outcome:
    """Fold one submission into the state; assess; say what to store and to publish."""
    mark = seen_mark(event.event_id)
    if mark in state.seen:
        return Outcome(state, [], None, None, duplicate=True)
    state = canonical_state(state, entry.frequency)
    seen = (*state.seen[1 - SEEN_KEEP :], mark)
    label = canonical_label(event.period, entry.frequency)
    obs = state.obs
    known = obs.get(label)
    # the key's rows in time order, kept between its events in the state's unsaved ``rows``:
    # rebuilding and sorting a long monthly history for every event cost more than assessing it
    rows = _rows(state)
    if known is None or event.vintage >= known[0]:
        obs = {**obs, label: (event.vintage, event.value)}
        rows = _with_row(rows, label, event.value, known is None)
    as_of = event.received_at.date()
    result = assess_rows(entry, rows, as_of)
    vintage, value = obs[label]
    points = [
        _point(
            "observation",
            _series(entry, "", ""),
            {"value": value, "vintage": vintage},
            _period_time(label),
        ),
        # the targets are the catalog's: written once per key and catalog version, not per figure
        *status_points(entry, result, with_targets=state.targets != catalog_version),
    ]
    targets = catalog_version if result.latest_period is not None else state.targets
    dumped = result.to_dict()
    snapshot = _snapshot(entry)
    assessment = AssessmentEvent(
        event_id=derived_id("assessment", event.event_id),
        catalog_version=catalog_version,
        indicator_id=entry.id,
        jurisdiction=entry.jurisdiction,
        plan_code=entry.plan_code,
        submission_event_id=event.event_id,
        period=label,
        as_of=as_of.isoformat(),
        assessment=dumped,
        target=snapshot,
    )
    change = None
    previous = state.status
    status = previous
    if result.status is not Status.NO_DATA and result.status.value != previous:
        change, point = _announce(
            entry, event, catalog_version, dumped, previous, result.status, result.tier
        )
        status = result.status.value
        points.append(point)
    known_finals, finals = _finals(entry, state, result, event, catalog_version, dumped, points)
    overdue = state.overdue
    if overdue and parse_period(label).decimal_year >= parse_period(overdue).decimal_year:
        overdue = None  # the missing figure (or a later one) arrived
    new = replace(
        state,
        obs=obs,
        seen=seen,
        status=status,
        overdue=overdue,
        targets=targets,
        rows=rows,
        escalated=state.escalated if overdue else None,
        finals=known_finals,
    )
    return Outcome(new, points, assessment, change, finals=finals)


_FINAL = (Status.ACHIEVED, Status.NOT_ACHIEVED)


def _announce(
    entry: CatalogEntry,
    event: SubmissionEvent,
    catalog_version: str,
    dumped: dict[str, object],
    was: str | None,
    to: Status,
    tier: str | None,
    target_year: int | None = None,
) -> tuple[StatusChange, Point]:
    """A status change caused by ``event``, and its ``status_change`` point: the headline's, or
    (``target_year``) the final verdict of that complete target year. Its id and time are fixed
    by the figure that caused it: a re-emission is the same change."""
    if target_year is None:
        reason, event_id = "assessment", derived_id("change", event.event_id, to.value)
    else:
        reason = "final"
        event_id = derived_id("final", event.event_id, str(target_year), to.value)
    change = StatusChange(
        event_id=event_id,
        catalog_version=catalog_version,
        indicator_id=entry.id,
        jurisdiction=entry.jurisdiction,
        plan_code=entry.plan_code,
        from_status=Status(was) if was else None,
        to_status=to,
        tier=tier,
        reason=reason,
        target_year=target_year,
        assessment=dumped,
        target=_snapshot(entry),
        responsible_agencies=entry.responsible_agencies,
        lead_agencies=entry.lead_agencies,
        cause_event_id=event.event_id,
        changed_at=event.received_at,
    )
    fields: dict[str, object] = {
        "from_status": was or "",
        "to_status": to.value,
        "to_code": STATUS_CODE[to],
    }
    if target_year is not None:
        fields["target_year"] = target_year
    point = _point("status_change", _series(entry, "reason", reason), fields, change.changed_at)
    return change, point


def _finals(
    entry: CatalogEntry,
    state: KeyState,
    result: Assessment,
    event: SubmissionEvent,
    catalog_version: str,
    dumped: dict[str, object],
    points: list[Point],
) -> tuple[Mapping[str, str], tuple[StatusChange, ...]]:
    """The final verdicts now known, and the changes that announce them: a miss of a complete
    target year that is not the headline's (the headline's own change tells of that one), or a
    miss mended by a revised figure. Each is told once; achieved years are remembered without
    a word (no alarm was raised for them)."""
    known = state.finals
    changes: list[StatusChange] = []
    for year in result.years:
        status = year.status
        if status not in _FINAL or not any(t.final for t in year.tiers.values()):
            continue
        was = known.get(str(year.year))
        if was == status.value:
            continue
        known = {**known, str(year.year): status.value}
        if year.year == result.target_year:
            continue  # the headline's change, if any, says it
        if status is not Status.NOT_ACHIEVED and was != Status.NOT_ACHIEVED.value:
            continue
        head = headline_tier(year.tiers)
        tier = head.tier if head is not None else None
        change, point = _announce(
            entry, event, catalog_version, dumped, was, status, tier, year.year
        )
        changes.append(change)
        points.append(point)
    return known, tuple(changes)


def overdue_change(
    entry: CatalogEntry,
    state: KeyState,
    today: date,
    catalog_version: str = "",
    policy: calendar.Policy = calendar.DEFAULT_POLICY,
) -> tuple[KeyState, StatusChange | None, Point | None]:
    """An ``overdue`` status change when the reporting calendar says a figure is owed
    (``planwatch.domain.calendar.owed_period``): once when it is past its due date, addressed
    to its publisher, and once more when it is past escalation, naming the supervising body.

    A key that never reported is owed its figures too (a new state: ``new_state()``); a figure
    that cannot exist yet is never owed. When a figure is due follows from its kind of
    statistic (``policy``).
    """
    state = canonical_state(state, entry.frequency)
    found = calendar.owed_period(entry, state.obs, today, policy)
    if found is None:
        return state, None, None
    slot, escalated = found
    owed = slot.period
    if state.overdue == owed and (not escalated or state.escalated == owed):
        return state, None, None
    escalate_to: tuple[str, ...] = ()
    if escalated:
        escalate_to = (entry.supervisor or entry.lead_agencies[0],)
    change = StatusChange(
        event_id=derived_id(
            "overdue-escalated" if escalated else "overdue", entry.id, entry.jurisdiction, owed
        ),
        catalog_version=catalog_version,
        indicator_id=entry.id,
        jurisdiction=entry.jurisdiction,
        plan_code=entry.plan_code,
        from_status=Status(state.status) if state.status else None,
        to_status=Status.OVERDUE,
        reason="overdue",
        target=entry.snapshot(),
        responsible_agencies=entry.responsible_agencies,
        lead_agencies=entry.lead_agencies,
        overdue_period=owed,
        due_date=slot.due.isoformat(),
        reporting_jurisdiction=entry.jurisdiction,
        publisher=entry.publisher,
        escalated_to=escalate_to,
    )
    due = slot.due
    point = Point.make(
        "overdue",
        {"indicator_id": entry.id, "jurisdiction": entry.jurisdiction, "plan": entry.plan_code},
        {"period": owed, "days_overdue": (today - due).days},
        datetime(due.year, due.month, due.day, tzinfo=UTC),
    )
    # the headline status becomes overdue, so the figure's arrival is a change of its own
    # (overdue → its assessed status), which is what resolves the overdue alert downstream
    new = replace(
        state,
        overdue=owed,
        status=Status.OVERDUE.value,
        escalated=owed if escalated else state.escalated,
    )
    return new, change, point


def reminder_change(
    entry: CatalogEntry,
    state: KeyState,
    today: date,
    catalog_version: str = "",
    policy: calendar.Policy = calendar.DEFAULT_POLICY,
) -> tuple[KeyState, StatusChange | None]:
    """A reminder to the publisher that a figure will be due
    (``planwatch.domain.calendar.remind_period``): once per period, from ``policy.remind_days``
    before its due date until the due date (past it the figure is chased, not reminded of).

    A notice, not a change of status: a ``StatusChange`` with ``reason="reminder"`` whose
    ``to_status`` is the headline status as it stands; the state keeps the period in
    ``reminded`` and nothing else (no point for the boards, the status untouched).
    """
    state = canonical_state(state, entry.frequency)
    slot = calendar.remind_period(entry, state.obs, today, policy, after=state.reminded)
    if slot is None:
        return state, None
    status = Status(state.status) if state.status else None
    change = StatusChange(
        event_id=derived_id("reminder", entry.id, entry.jurisdiction, slot.period),
        catalog_version=catalog_version,
        indicator_id=entry.id,
        jurisdiction=entry.jurisdiction,
        plan_code=entry.plan_code,
        from_status=status,
        to_status=status or Status.NO_DATA,
        reason="reminder",
        target=_snapshot(entry),
        responsible_agencies=entry.responsible_agencies,
        lead_agencies=entry.lead_agencies,
        overdue_period=slot.period,
        due_date=slot.due.isoformat(),
        reporting_jurisdiction=entry.jurisdiction,
        publisher=entry.publisher,
    )
    return replace(state, reminded=slot.period), change


def overdue_changes(
    catalog: Catalog,
    states: Mapping[bytes, KeyState],
    today: date,
    policy: calendar.Policy = calendar.DEFAULT_POLICY,
    owns: Callable[[bytes], bool] | None = None,
) -> list[tuple[bytes, KeyState, StatusChange, Point | None]]:
    """The overdue check over the whole catalog: every entry, with its stored state when it
    has one and a new state when it never reported (``states``: key → state, as stored).
    One call per tick for the evaluator: ``(key, new state, change, point)`` for each chase
    or escalation of a figure owed now (``overdue_change``) and each reminder of a figure soon
    due (``reminder_change``, point None); a key with both has its chase first, and the state
    of its last item is the one to keep. ``owns``: whether this worker holds a key's partition
    (a key never reported has no state to say so); every key when None."""
    out = []
    for entry in catalog:
        key = partition_key(entry.id, entry.jurisdiction)
        if owns is not None and key not in states and not owns(key):
            continue
        state = states.get(key) or new_state()
        new, change, point = overdue_change(entry, state, today, catalog.version, policy)
        if change is not None:
            out.append((key, new, change, point))
        new, reminder = reminder_change(entry, new, today, catalog.version, policy)
        if reminder is not None:
            out.append((key, new, reminder, None))
    return out


def lookup(catalog: Catalog, event: SubmissionEvent) -> CatalogEntry:
    """The entry of an event; the error names the field and the problem (→ dead letters)."""
    entry = catalog.get(event.indicator_id)
    if entry is None:
        raise KeyError(f"indicator_id: unknown indicator {event.indicator_id!r}")
    if entry.jurisdiction != event.jurisdiction:
        raise KeyError(
            f"jurisdiction: {event.indicator_id} is not an indicator of {event.jurisdiction!r}"
        )
    if event.unit != entry.unit:
        # ingest converts to the catalog's unit; another unit means another catalog
        raise ValueError(f"unit: {event.unit!r} is not the catalog's unit {entry.unit!r}")
    if not math.isfinite(event.value):
        raise ValueError(f"value: {event.value!r} is not a finite number")
    parse_period(event.period)  # raises ValueError naming the period
    return entry
