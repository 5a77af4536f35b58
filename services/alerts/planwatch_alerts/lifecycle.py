"""The alert lifecycle: fold one status change into the alert table.

Off track (needs acceleration, limited progress, deterioration, a final miss) opens an alert
or updates it, one per target year; back on track or achieved resolves that year's. A year the
headline has moved on from is complete: its miss (a ``final`` change, or the headline's own
``not_achieved``) stays open until a revised figure mends it, any other alert of it ends. An
``overdue`` change opens an alert addressed to the body that publishes the figure, resolved
when a figure for the missing period arrives. A ``reminder`` (a figure soon due) is a notice,
not an alert: it is recorded as a row of type ``reminder`` in state ``notice``, which nothing
repeats, escalates, acknowledges or resolves, and told once to the publisher. Reminders, chases
and escalations copy whom the reporting calendar copies (the indicator's lead agencies). Each
step returns what must be told, so routing stays out of this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from planwatch.domain.calendar import Action, addressees
from planwatch.domain.events import StatusChange
from planwatch.domain.periods import parse_period
from planwatch_alerts.store import CHASE, ESCALATED_CHASE, alerts, insert, update_alert

__all__ = [
    "GOOD",
    "NOTICE",
    "OFF_TRACK",
    "REMINDER",
    "SEVERITIES",
    "Told",
    "apply_change",
    "severity_of",
]

SEVERITIES = ("warning", "minor", "major", "critical")
# off-track statuses by severity level; a final miss (not_achieved) weighs as limited progress,
# which a binding (约束性) tier raises to critical
OFF_TRACK = {
    "needs_acceleration": 1,
    "limited_progress": 2,
    "not_achieved": 2,
    "deterioration": 3,
}
GOOD = {"on_track", "achieved"}
REMINDER = "reminder"  # the type, status and item kind of a reminder before a due date
NOTICE = "notice"  # the state of a reminder: told once, never open


@dataclass(frozen=True)
class Told:
    """An alert to notify about: ``kind`` is firing, resolved or reminder."""

    alert_id: int
    kind: str
    opened: bool = False


def severity_of(status: str, tier: str | None) -> str:
    """Higher for deterioration and for binding (约束性) targets."""
    level = OFF_TRACK[status] + (1 if tier == "binding" else 0)
    return SEVERITIES[min(level, len(SEVERITIES) - 1)]


def bureau_of(change: StatusChange) -> str:
    """The body that publishes the figure (the catalog's publisher, a registry body); for a
    change made before the reporting calendar named it, the jurisdiction's 统计局."""
    return change.publisher or f"{change.reporting_jurisdiction or change.jurisdiction}统计局"


def _addressees(action: Action, change: StatusChange) -> tuple[list[str], list[str]]:
    """Who a reminder, a chase or an escalation of ``change`` is sent to and who is copied, as
    the reporting calendar says (``planwatch.domain.calendar.addressees``, which ``planwatch
    calendar`` prints): the publisher with the indicator's lead agencies copied; on escalation
    the supervising body, with the publisher and the leads copied."""
    to, copied = addressees(action, (bureau_of(change),), change.lead_agencies, change.escalated_to)
    return list(to), list(copied)


def _arrived(overdue_snapshot: dict[str, Any], change: StatusChange) -> bool:
    """Whether this assessment covers the period whose figure was overdue."""
    latest = (change.assessment or {}).get("latest_period")
    missing = overdue_snapshot.get("overdue_period")
    if not latest or not missing:
        return False
    return parse_period(latest).decimal_year >= parse_period(missing).decimal_year


_ACTIVE = sa.select(alerts).where(
    alerts.c.alert_key == sa.bindparam("alert_key"), alerts.c.state != "resolved"
)


def active(c: sa.Connection, key: str) -> Any:
    """The alert of ``key`` not resolved, if any."""
    return c.execute(_ACTIVE, {"alert_key": key}).first()


def apply_change(c: sa.Connection, change: StatusChange, now: datetime) -> list[Told]:
    """Update the alerts for one status change (in the caller's transaction)."""
    base = f"{change.indicator_id}|{change.jurisdiction}"
    snapshot = change.model_dump(mode="json")
    if change.reason == REMINDER:
        return _notice(c, f"{base}|reminder|{change.overdue_period}", change, snapshot, now)
    if change.reason == "overdue":
        addressed, copied = _addressees(Action.CHASE, change)
        told_overdue = _open_or_update(
            c, f"{base}{CHASE}", "overdue", change, "overdue", "warning",
            addressed, copied, snapshot, now,
        )  # fmt: skip
        if change.escalated_to:  # long overdue: the supervising body is told
            addressed, copied = _addressees(Action.ESCALATE, change)
            told_overdue += _open_or_update(
                c, f"{base}{ESCALATED_CHASE}", "overdue", change, "overdue", "major",
                addressed, copied, snapshot, now,
            )  # fmt: skip
        return told_overdue
    told: list[Told] = []
    for key in (f"{base}{CHASE}", f"{base}{ESCALATED_CHASE}"):
        overdue = active(c, key)
        if overdue is not None and _arrived(overdue.snapshot, change):
            told += _resolve(c, overdue, snapshot, now)
    to = change.to_status.value
    year = year_of(change)
    offtrack = _offtrack(c, change.indicator_id, change.jurisdiction)
    this_year = [row for row in offtrack if _alert_year(row) == year]
    if change.reason == "assessment":
        # the headline moved on from a year whose trajectory was behind: that year is complete,
        # and a miss of it was told as a final change (kept open); any other alert of it ends
        for row in offtrack:
            if _alert_year(row) not in (year, None) and row.status != "not_achieved":
                told += _resolve(c, row, snapshot, now)
    # the year's open alert keeps its key (one opened before keys carried the year included)
    if this_year:
        key = this_year[0].alert_key
    elif year is not None:
        key = f"{base}|offtrack|{year}"
    else:
        key = f"{base}|offtrack"
    if to in OFF_TRACK:
        # goals paragraphs name no agency: the jurisdiction's S&T authority is addressed
        lead = list(change.lead_agencies) or [f"{change.jurisdiction}科技主管部门"]
        copied = [a for a in change.responsible_agencies if a not in lead]
        told += _open_or_update(
            c, key, "offtrack", change, to, severity_of(to, change.tier),
            lead, copied, snapshot, now,
        )  # fmt: skip
    elif to in GOOD:
        for row in this_year:
            told += _resolve(c, row, snapshot, now)
    return told


def year_of(change: StatusChange) -> int | None:
    """The target year a change is about: a final change names it; an assessment's headline
    carries its own."""
    if change.target_year is not None:
        return change.target_year
    year = (change.assessment or {}).get("target_year")
    return int(year) if year is not None else None


def _alert_year(row: Any) -> int | None:
    """The target year of an off-track alert: the last part of its key, or (an alert opened
    before keys carried the year) its snapshot's."""
    last = row.alert_key.rsplit("|", 1)[-1]
    if last.isdigit():
        return int(last)
    snap = row.snapshot or {}
    year = snap.get("target_year") or (snap.get("assessment") or {}).get("target_year")
    return int(year) if year is not None else None


# The off-track alerts of one (indicator, jurisdiction), found through the index of the pair: a
# LIKE on the key would use no index (SQLite's LIKE ignores case) and read every alert ever
# opened, once per status change.
_OFFTRACK = (
    sa.select(alerts)
    .where(
        alerts.c.indicator_id == sa.bindparam("indicator_id"),
        alerts.c.jurisdiction == sa.bindparam("jurisdiction"),
        alerts.c.type == "offtrack",
        alerts.c.state != "resolved",
    )
    .order_by(alerts.c.id)
)


def _offtrack(c: sa.Connection, indicator_id: str, jurisdiction: str) -> list[Any]:
    """The off-track alerts of one (indicator, jurisdiction) not resolved: one per target year
    behind or missed."""
    found = c.execute(_OFFTRACK, {"indicator_id": indicator_id, "jurisdiction": jurisdiction})
    return list(found)


def _notice(
    c: sa.Connection, key: str, change: StatusChange, snapshot: dict[str, Any], now: datetime
) -> list[Told]:
    """Record a reminder to the figure's publisher, once per period (a second event for the
    same period, under another id, adds nothing), and tell it."""
    if c.execute(sa.select(alerts.c.id).where(alerts.c.alert_key == key)).first():
        return []
    addressed, copied = _addressees(Action.REMIND, change)
    alert_id = _new_alert(
        c, key, change, snapshot, now,
        type=REMINDER, status=REMINDER, severity="warning", state=NOTICE,
        agencies=addressed, copied=copied,
    )  # fmt: skip
    return [Told(alert_id, REMINDER)]


def _new_alert(
    c: sa.Connection,
    key: str,
    change: StatusChange,
    snapshot: dict[str, Any],
    now: datetime,
    **values: Any,
) -> int:
    """Insert the alert ``key`` about ``change``'s indicator; its id. ``values``: type, status,
    severity, state, agencies and copied."""
    alert_id: int = insert(
        c,
        alerts,
        alert_key=key,
        indicator_id=change.indicator_id,
        jurisdiction=change.jurisdiction,
        plan_code=change.plan_code,
        snapshot=snapshot,
        routes=[],
        opened_at=now,
        updated_at=now,
        **values,
    )
    return alert_id


def _open_or_update(
    c: sa.Connection,
    key: str,
    kind: str,
    change: StatusChange,
    status: str,
    severity: str,
    lead: list[str],
    copied: list[str],
    snapshot: dict[str, Any],
    now: datetime,
) -> list[Told]:
    found = active(c, key)
    if found is None:
        alert_id = _new_alert(
            c, key, change, snapshot, now,
            type=kind, status=status, severity=severity, state="open",
            agencies=lead, copied=copied,
        )  # fmt: skip
        return [Told(alert_id, "firing", opened=True)]
    worse = (
        SEVERITIES.index(severity) > SEVERITIES.index(found.severity)
        or (
            status in OFF_TRACK
            and found.status in OFF_TRACK
            and OFF_TRACK[status] > OFF_TRACK[found.status]
        )
        # a year that was behind is now over and missed: the final word, told as such
        or (status == "not_achieved" and found.status != "not_achieved")
    )
    values: dict[str, Any] = {
        "status": status,
        "severity": max(severity, found.severity, key=SEVERITIES.index),
        "snapshot": snapshot,
        "updated_at": now,
    }
    if worse and found.state == "acknowledged":
        values["state"] = "open"  # a new situation: the acknowledgement was for a milder one
    update_alert(c, found.id, **values)
    return [Told(found.id, "firing")] if worse else []


def _resolve(c: sa.Connection, alert: Any, snapshot: dict[str, Any], now: datetime) -> list[Told]:
    status = snapshot.get("to_status") or alert.status
    update_alert(
        c,
        alert.id,
        state="resolved",
        resolved_at=now,
        updated_at=now,
        snapshot=snapshot,
        status=alert.status if status == "overdue" else status,
        next_repeat_at=None,
        escalate_at=None,
    )
    # only those who heard "firing" hear "resolved"
    return [Told(alert.id, "resolved")] if alert.last_notified_at is not None else []
