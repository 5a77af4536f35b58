"""Agencies' answers to alerts: stored with the alert's history, read back by API and digests.

An answer either acknowledges the alert and states the measures (整改措施) with an expected
recovery date, or disputes the figure with a reason. Either way the alert counts as answered: it
no longer escalates as unanswered. An acknowledgement moves an open alert to ``acknowledged``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from planwatch_alerts.links import Grant, LinkError, Refusal
from planwatch_alerts.store import (
    alert_row,
    alerts,
    chase_key,
    responses,
    supervising,
    update_alert,
)

__all__ = ["KIND_ZH", "AnswerKind", "quoted_answers", "record_answer", "responses_of"]


class AnswerKind(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    DISPUTE = "dispute"


KIND_ZH = {AnswerKind.ACKNOWLEDGE: "确认并整改", AnswerKind.DISPUTE: "对数据有异议"}


def responses_of(c: sa.Connection, alert_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The answers to each of ``alert_ids``, oldest first: {at, agency, kind, text,
    expected_recovery}."""
    ids = sorted(set(alert_ids))
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return found
    for row in c.execute(
        sa.select(responses).where(responses.c.alert_id.in_(ids)).order_by(responses.c.id)
    ):
        found[row.alert_id].append(
            {
                "at": row.at,
                "agency": row.agency,
                "kind": row.kind,
                "text": row.text,
                "expected_recovery": row.expected_recovery,
            }
        )
    return found


def quoted_answers(c: sa.Connection, told: Sequence[Any]) -> dict[int, list[dict[str, Any]]]:
    """The answers a digest quotes under each alert of ``told``: its own, and for a long-overdue
    figure's escalation also the publisher's answers to the chase it escalates (why the figure
    is late, when it will be reported), oldest first: the supervising body reads what the bureau
    said before it acts, and is not told the figure went unanswered when it was answered."""
    chases: dict[int, int] = {}  # supervising alert → the chase it escalates (opened before it)
    for alert in told:
        if supervising(alert.alert_key):
            chase = c.execute(
                sa.select(alerts.c.id)
                .where(alerts.c.alert_key == chase_key(alert.alert_key), alerts.c.id < alert.id)
                .order_by(alerts.c.id.desc())
                .limit(1)
            ).scalar()
            if chase is not None:
                chases[alert.id] = chase
    found = responses_of(c, [*(a.id for a in told), *chases.values()])
    for alert_id, chase in chases.items():
        both = [*found[chase], *found[alert_id]]
        found[alert_id] = sorted(both, key=lambda r: r["at"])
    return found


def used(c: sa.Connection, grant: Grant) -> bool:
    return (
        c.execute(sa.select(responses.c.id).where(responses.c.link_nonce == grant.nonce)).first()
        is not None
    )


def record_answer(
    c: sa.Connection,
    grant: Grant,
    kind: AnswerKind,
    text: str,
    expected_recovery: date | None,
    now: datetime,
) -> None:
    """Store the answer a link allows (in the caller's transaction); a used link is refused."""
    if used(c, grant):
        raise LinkError(Refusal.USED)
    c.execute(
        responses.insert().values(
            alert_id=grant.alert_id,
            at=now,
            agency=grant.agency,
            kind=kind.value,
            text=text,
            expected_recovery=expected_recovery,
            link_nonce=grant.nonce,
        )
    )
    alert = alert_row(c, grant.alert_id)
    values: dict[str, Any] = {"updated_at": now}
    if kind is AnswerKind.ACKNOWLEDGE:
        values.update(acked_by=grant.agency, acked_at=now, ack_comment=text)
        if alert.state == "open":
            values["state"] = "acknowledged"
    update_alert(c, grant.alert_id, **values)
