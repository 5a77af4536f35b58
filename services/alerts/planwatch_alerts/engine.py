"""The alerts engine: status changes in, notifications out, on an injected clock.

``handle`` folds one status change into the alert state in one transaction (an event id is
handled once, so a redelivered event changes nothing). ``tick`` does the timed work: expires
silences, repeats, escalates, groups waiting items into digests, and delivers what is due.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from planwatch.catalog import Catalog
from planwatch.domain.events import StatusChange
from planwatch_alerts.channels import AlertmanagerChannel, AppriseChannel, EmailChannel
from planwatch_alerts.delivery import Deliverer, RetryPolicy
from planwatch_alerts.grouping import Grouper
from planwatch_alerts.lifecycle import SEVERITIES, apply_change, severity_of
from planwatch_alerts.links import LinkSigner
from planwatch_alerts.ports import Channel
from planwatch_alerts.routing import Routing
from planwatch_alerts.settings import Settings
from planwatch_alerts.store import alert_row, alerts, first_sight, update_alert

__all__ = ["SEVERITIES", "AlertEngine", "severity_of"]


def default_channels(settings: Settings, db: sa.Engine | None = None) -> dict[str, Channel]:
    email = EmailChannel(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        settings.smtp_timeout_s,
        **settings.smtp_options(),
    )
    channels: dict[str, Channel] = {"email": email, "apprise": AppriseChannel()}
    if db is not None:
        channels["alertmanager"] = AlertmanagerChannel(db, settings.common.board_url)
    return channels


class AlertEngine:
    def __init__(
        self,
        db: sa.Engine,
        routing: Routing,
        catalog: Catalog,
        settings: Settings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        channels: Mapping[str, Channel] | None = None,
    ) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self.catalog = catalog
        self.grouper = Grouper(
            routing,
            catalog,
            settings.language,
            settings.common.board_url,
            LinkSigner(settings.link_key(), timedelta(days=settings.link_ttl_days)),
            settings.public_url,
            timedelta(days=settings.reply_days),
        )
        self.deliverer = Deliverer(
            db,
            channels or default_channels(settings, db),
            RetryPolicy(settings.max_attempts, settings.retry_base_s, settings.retry_max_s),
            clock,
        )
        # called after a change is stored, so a dispatcher can act at once (group_wait 0)
        self.wake: Callable[[], None] = lambda: None
        self.deliverer.recover()

    @property
    def routing(self) -> Routing:
        return self.grouper.routing

    @routing.setter
    def routing(self, routing: Routing) -> None:
        self.grouper.routing = routing

    def handle(self, change: StatusChange) -> bool:
        """Store what this change means; False when the event was handled before."""
        return self.handle_many([change]) == 1

    def handle_many(self, changes: Sequence[StatusChange]) -> int:
        """Store a consumed batch in one transaction, in order; the number not handled before.

        All or nothing: if one change fails, none is stored and the batch comes back.
        """
        now = self.clock()
        fresh = 0
        with self.db.begin() as c:
            for change in changes:
                fresh += self._apply(c, change, now)
        if fresh:
            self.wake()
        return fresh

    def _apply(self, c: sa.Connection, change: StatusChange, now: datetime) -> bool:
        if not first_sight(c, change.event_id):
            return False
        for told in apply_change(c, change, now):
            if told.kind == "firing":
                self.grouper.freeze_routes(c, told.alert_id, now)
            row = alert_row(c, told.alert_id)
            if told.kind == "resolved" or not self.grouper.inhibited(c, row):
                self.grouper.enqueue(c, told.alert_id, told.kind, now)
        return True

    def tick(self) -> int:
        """The timed work due at the clock's now; the number of notifications sent."""
        now = self.clock()
        with self.db.begin() as c:
            self._expire_silences(c, now)
            self.grouper.catch_up(c, now)
            self.grouper.repeat(c, now)
            self.grouper.escalate(c, now)
            self.grouper.group(c, now)
        return self.deliverer.deliver_due(now)

    @staticmethod
    def _expire_silences(c: sa.Connection, now: datetime) -> None:
        for alert in c.execute(
            sa.select(alerts).where(alerts.c.state == "silenced", alerts.c.silenced_until <= now)
        ):
            update_alert(
                c, alert.id, state="acknowledged" if alert.acked_at else "open", updated_at=now
            )
