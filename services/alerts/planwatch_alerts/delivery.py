"""Delivery of the outbox as small stages: claim (dedup) → send with retry and backoff → record.

A row is claimed by moving it from ``pending`` to ``sending`` in its own transaction, so one
row is sent by one worker once per attempt. After a crash, rows left in ``sending`` may or may
not have reached the server: they are sent again with the same Message-ID (the receiving side
can drop the copy) — the only case where a message can arrive twice, and it is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from planwatch_alerts.ports import Channel, Delivery, DeliveryError
from planwatch_alerts.store import notifications

__all__ = ["Deliverer", "RetryPolicy"]

log = logging.getLogger("planwatch.alerts.delivery")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_s: float = 1.0
    max_s: float = 60.0

    def wait(self, attempt: int) -> timedelta:
        """Exponential backoff: base · 2^(attempt−1), capped."""
        return timedelta(seconds=min(self.base_s * 2 ** (attempt - 1), self.max_s))


class Deliverer:
    def __init__(
        self,
        db: sa.Engine,
        channels: Mapping[str, Channel],
        policy: RetryPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        self.db, self.channels, self.policy, self.clock = db, channels, policy, clock
        self.on_result: Callable[[str, str], None] = lambda channel, result: None

    def recover(self) -> int:
        """At start: deliveries interrupted by a crash go out again (same Message-ID)."""
        with self.db.begin() as c:
            stuck = (
                c.execute(sa.select(notifications.c.id).where(notifications.c.state == "sending"))
                .scalars()
                .all()
            )
            if stuck:
                c.execute(
                    notifications.update()
                    .where(notifications.c.id.in_(stuck))
                    .values(state="pending")
                )
        for row_id in stuck:
            log.warning("notification %s was being sent at a crash: sending again", row_id)
        return len(stuck)

    def deliver_due(self, now: datetime) -> int:
        """Send every due row; the number sent."""
        with self.db.connect() as c:
            due = (
                c.execute(
                    sa.select(notifications.c.id)
                    .where(
                        notifications.c.state == "pending", notifications.c.next_attempt_at <= now
                    )
                    .order_by(notifications.c.id)
                )
                .scalars()
                .all()
            )
        with ExitStack() as round_:
            # a channel that can keep a session across messages (e-mail) keeps it this round
            for channel in self.channels.values():
                session = getattr(channel, "session", None)
                if session is not None:
                    round_.enter_context(session())
            return sum(self._deliver_one(row_id) for row_id in due)

    def _claim(self, row_id: int) -> Any:
        with self.db.begin() as c:
            claimed = c.execute(
                notifications.update()
                .where(notifications.c.id == row_id, notifications.c.state == "pending")
                .values(state="sending", attempts=notifications.c.attempts + 1)
            ).rowcount
            if not claimed:
                return None  # another worker has it, or it is no longer pending
            return c.execute(sa.select(notifications).where(notifications.c.id == row_id)).one()

    def _deliver_one(self, row_id: int) -> bool:
        row = self._claim(row_id)
        if row is None:
            return False
        delivery = Delivery(
            list(row.to),
            list(row.cc),
            row.subject,
            row.body,
            row.message_id,
            row.html,
            alert_ids=tuple(row.alert_ids),
            kind=row.kind,
            receiver=row.receiver,
            group_key=row.group_key,
        )
        try:
            self.channels[row.channel].send(delivery)
        except DeliveryError as exc:
            self._record_failure(row, exc)
            return False
        self._record(row.id, state="sent", sent_at=self.clock(), last_error=None)
        self.on_result(row.channel, "sent")
        return True

    def _record_failure(self, row: Any, exc: DeliveryError) -> None:
        final = not exc.retryable or row.attempts >= self.policy.max_attempts
        log.warning(
            "notification %s (%s to %s) attempt %s failed%s: %s",
            row.id, row.channel, row.receiver, row.attempts,
            "" if final else ", will retry", exc,
        )  # fmt: skip
        self._record(
            row.id,
            state="failed" if final else "pending",
            last_error=str(exc),
            next_attempt_at=self.clock() + self.policy.wait(row.attempts),
        )
        self.on_result(row.channel, "failed" if final else "retry")

    def _record(self, row_id: int, **values: Any) -> None:
        with self.db.begin() as c:
            c.execute(notifications.update().where(notifications.c.id == row_id).values(**values))
