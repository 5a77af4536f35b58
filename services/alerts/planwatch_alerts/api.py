"""The lifecycle API: list and filter alerts, acknowledge, silence, notification history.

Every route needs ``Authorization: Bearer <key>`` from the shared key store with the read or
admin role; a key reads and changes only the alerts of the jurisdictions it covers (403 else).
Errors are ``application/problem+json`` (``planwatch_alerts.problems``); each route documents
exactly the statuses it can answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from planwatch.security import Principal, Role
from planwatch_alerts.answers import responses_of
from planwatch_alerts.lifecycle import NOTICE, REMINDER
from planwatch_alerts.problems import ProblemError, responses
from planwatch_alerts.store import alerts, notifications, supervising, update_alert

__all__ = ["AlertOut", "router"]

router = APIRouter()

# What each kind of route can answer besides its 200: every route needs a key (401) of the
# right role and jurisdiction (403) and checks its parameters (422); a path naming an alert
# adds 404; a change of state adds 409, and 400 for a body that cannot be read as JSON.
LISTING = responses(401, 403, 422)
ONE_ALERT = responses(401, 403, 404, 422)
CHANGE = responses(400, 401, 403, 404, 409, 422)


class NotificationOut(BaseModel):
    id: int
    receiver: str
    channel: str  # email | apprise
    to: list[str]
    cc: list[str]
    kind: str
    subject: str
    state: str  # pending | sending | sent | failed
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    alert_ids: list[int]


class ResponseOut(BaseModel):
    """An agency's answer given through the link of a notification."""

    at: datetime
    agency: str
    kind: Literal["acknowledge", "dispute"]  # acknowledged with measures, or disputed
    text: str  # the measures (整改措施), or the reason of the dispute
    expected_recovery: date | None


class AlertOut(BaseModel):
    id: int
    indicator_id: str
    jurisdiction: str
    plan_code: str
    type: str  # offtrack | overdue | reminder (a figure soon due: a notice, told once)
    # an overdue alert told to the plan's supervising body (督办): its agencies see the figure
    # reported by the publisher, they do not report it
    supervising: bool = False
    status: str
    severity: str
    state: str  # open | acknowledged | silenced | resolved; notice for a reminder
    agencies: list[str]
    copied: list[str]
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    ack_comment: str | None
    silenced_until: datetime | None
    silenced_by: str | None
    silence_reason: str | None
    escalated_at: datetime | None
    notifications: list[NotificationOut]
    responses: list[ResponseOut]  # oldest first


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str = Field(min_length=1, max_length=200, description="who acknowledges")
    comment: str | None = Field(None, max_length=2000, description="what is being done")


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: AwareDatetime = Field(description="no notifications before this time")
    reason: str = Field(min_length=1, max_length=2000)
    by: str = Field(min_length=1, max_length=200)


def _principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    principal = request.app.state.keys.verify(token.strip()) if scheme.lower() == "bearer" else None
    if principal is None:
        raise ProblemError(
            401,
            "unauthorized",
            "a valid API key is required (Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not (principal.can(Role.READ) or principal.can(Role.ADMIN)):
        raise ProblemError(403, "forbidden", "this key may not read alerts")
    return principal


Caller = Annotated[Principal, Depends(_principal)]


def _out(row: Any, sent: Sequence[Any], answers: Sequence[Mapping[str, Any]]) -> AlertOut:
    return AlertOut(
        id=row.id,
        indicator_id=row.indicator_id,
        jurisdiction=row.jurisdiction,
        plan_code=row.plan_code,
        type=row.type,
        supervising=supervising(row.alert_key),
        status=row.status,
        severity=row.severity,
        state=row.state,
        agencies=list(row.agencies),
        copied=list(row.copied),
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        resolved_at=row.resolved_at,
        acknowledged_by=row.acked_by,
        acknowledged_at=row.acked_at,
        ack_comment=row.ack_comment,
        silenced_until=row.silenced_until,
        silenced_by=row.silenced_by,
        silence_reason=row.silence_reason,
        escalated_at=row.escalated_at,
        notifications=[
            NotificationOut.model_validate(n, from_attributes=True)
            for n in sent
            if row.id in n.alert_ids
        ],
        responses=[ResponseOut.model_validate(r) for r in answers],
    )


def _load(request: Request, where: list[Any]) -> list[AlertOut]:
    db: sa.Engine = request.app.state.db
    with db.connect() as c:
        rows = c.execute(
            sa.select(alerts).where(*where).order_by(alerts.c.updated_at.desc(), alerts.c.id.desc())
        ).all()
        sent = (
            c.execute(sa.select(notifications).order_by(notifications.c.id)).all() if rows else []
        )
        answers = responses_of(c, [r.id for r in rows])
    return [_out(r, sent, answers[r.id]) for r in rows]


@router.get("/v1/alerts", response_model=list[AlertOut], responses=LISTING)
def list_alerts(
    request: Request,
    caller: Caller,
    state: Literal["open", "acknowledged", "silenced", "resolved", "notice"] | None = None,
    severity: Literal["warning", "minor", "major", "critical"] | None = None,
    jurisdiction: str | None = None,
    indicator_id: str | None = None,
    plan: str | None = Query(None, description="plan code"),
    type: Literal["offtrack", "overdue", "reminder"] | None = Query(
        None, description="offtrack, overdue, or reminder (listed only when asked for)"
    ),
    agency: str | None = Query(None, description="addressed or copied agency name"),
) -> list[AlertOut]:
    """Alerts, newest first; a key sees the jurisdictions it covers. The reminders sent before
    due dates (notices, not alerts) are listed with ``type=reminder`` or ``state=notice`` only."""
    where: list[Any] = []
    if type is None and state != NOTICE:
        where.append(alerts.c.type != REMINDER)
    if jurisdiction is not None:
        if not caller.covers(jurisdiction):
            raise ProblemError(
                403, "out-of-scope", f"this key does not cover jurisdiction {jurisdiction!r}"
            )
        where.append(alerts.c.jurisdiction == jurisdiction)
    elif not caller.all_jurisdictions:
        where.append(alerts.c.jurisdiction.in_(sorted(caller.jurisdictions)))
    for column, value in (
        (alerts.c.state, state),
        (alerts.c.severity, severity),
        (alerts.c.indicator_id, indicator_id),
        (alerts.c.plan_code, plan),
        (alerts.c.type, type),
    ):
        if value is not None:
            where.append(column == value)
    found = _load(request, where)
    if agency is not None:
        found = [a for a in found if agency in a.agencies or agency in a.copied]
    return found


def _one(request: Request, caller: Principal, alert_id: int) -> AlertOut:
    found = _load(request, [alerts.c.id == alert_id])
    if not found:
        raise ProblemError(404, "not-found", f"no alert {alert_id}")
    if not caller.covers(found[0].jurisdiction):
        raise ProblemError(
            403,
            "out-of-scope",
            f"this key does not cover jurisdiction {found[0].jurisdiction!r}",
        )
    return found[0]


# ids are 64-bit integers in the database: a larger number is a bad request, not a crash
AlertId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the alert's id")]


@router.get("/v1/alerts/{alert_id}", response_model=AlertOut, responses=ONE_ALERT)
def get_alert(request: Request, caller: Caller, alert_id: AlertId) -> AlertOut:
    return _one(request, caller, alert_id)


def _changeable(alert: AlertOut) -> None:
    """409 for what cannot be acknowledged or silenced: a resolved alert, a reminder."""
    if alert.state == "resolved":
        raise ProblemError(409, "alert-resolved", "the alert is resolved")
    if alert.type == REMINDER:
        raise ProblemError(
            409, "reminder-notice", "a reminder is a notice sent once, not an alert to act on"
        )


@router.post("/v1/alerts/{alert_id}/ack", response_model=AlertOut, responses=CHANGE)
def acknowledge(request: Request, caller: Caller, alert_id: AlertId, body: AckIn) -> AlertOut:
    """Record who acknowledged the alert, when, and what they said; stops repeats."""
    alert = _one(request, caller, alert_id)
    _changeable(alert)
    now = request.app.state.clock()
    with request.app.state.db.begin() as c:
        update_alert(
            c,
            alert_id,
            acked_by=body.by,
            acked_at=now,
            ack_comment=body.comment,
            updated_at=now,
            state="acknowledged" if alert.state == "open" else alert.state,
        )
    return _one(request, caller, alert_id)


@router.post("/v1/alerts/{alert_id}/silence", response_model=AlertOut, responses=CHANGE)
def silence(request: Request, caller: Caller, alert_id: AlertId, body: SilenceIn) -> AlertOut:
    """No notifications for this alert until ``until``; the reason is kept."""
    alert = _one(request, caller, alert_id)
    now = request.app.state.clock()
    if body.until <= now:
        raise ProblemError(
            422,
            "invalid-request",
            "until: must be in the future",
            [{"field": "until", "problem": "must be in the future", "reason": "past_time"}],
        )
    _changeable(alert)
    with request.app.state.db.begin() as c:
        update_alert(
            c,
            alert_id,
            state="silenced",
            silenced_until=body.until,
            silenced_by=body.by,
            silence_reason=body.reason,
            updated_at=now,
        )
    return _one(request, caller, alert_id)


@router.get("/v1/notifications", response_model=list[NotificationOut], responses=LISTING)
def notification_history(
    request: Request,
    caller: Caller,
    state: str | None = Query(None, description="pending, sending, sent or failed"),
    limit: int = Query(500, ge=1, le=10_000),
) -> list[NotificationOut]:
    """Every notification about the caller's alerts, newest first."""
    db: sa.Engine = request.app.state.db
    query = sa.select(notifications).order_by(notifications.c.id.desc())
    if state is not None:
        query = query.where(notifications.c.state == state)
    with db.connect() as c:
        mine = None
        if not caller.all_jurisdictions:
            mine = set(
                c.execute(
                    sa.select(alerts.c.id).where(
                        alerts.c.jurisdiction.in_(sorted(caller.jurisdictions))
                    )
                ).scalars()
            )
        rows = c.execute(query).all()
    found = [r for r in rows if mine is None or any(a in mine for a in r.alert_ids)]
    return [NotificationOut.model_validate(r, from_attributes=True) for r in found[:limit]]
