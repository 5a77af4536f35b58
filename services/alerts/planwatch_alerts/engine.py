"""The alert lifecycle and the notification pipeline (group → dedup → deliver with retry → record).

``handle`` folds one status change into the alert state in one transaction (an event id is
handled once). ``tick`` does the timed work: groups waiting items into digests when their
``group_wait`` / ``group_interval`` has passed, repeats open alerts after ``repeat_interval``,
escalates, expires silences, and delivers due notifications. The clock is injected.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from planwatch.catalog import Catalog
from planwatch.domain.events import StatusChange
from planwatch.domain.periods import parse_period
from planwatch_alerts.channels import DeliveryError, deliver
from planwatch_alerts.messages import render_digest
from planwatch_alerts.routing import LEAD_AGENCY, Routing
from planwatch_alerts.settings import Settings
from planwatch_alerts.store import alerts, items, notifications, seen

__all__ = ["SEVERITIES", "AlertEngine", "severity_of"]

log = logging.getLogger("planwatch.alerts")

SEVERITIES = ("warning", "minor", "major", "critical")
_BASE = {"needs_acceleration": 1, "limited_progress": 2, "deterioration": 3}
GOOD = {"on_track", "achieved"}


def severity_of(status: str, tier: str | None) -> str:
    """Higher for deterioration and for binding (约束性) targets."""
    level = _BASE[status] + (1 if tier == "binding" else 0)
    return SEVERITIES[min(level, len(SEVERITIES) - 1)]


def _arrived(overdue_snapshot: dict[str, Any], change: StatusChange) -> bool:
    """Whether this assessment covers the period whose figure was overdue."""
    latest = (change.assessment or {}).get("latest_period")
    missing = overdue_snapshot.get("overdue_period")
    if not latest or not missing:
        return False
    return parse_period(latest).decimal_year >= parse_period(missing).decimal_year


def _bureau(jurisdiction: str) -> str:
    return f"{jurisdiction}统计局"


class AlertEngine:
    def __init__(
        self,
        engine: sa.Engine,
        routing: Routing,
        catalog: Catalog,
        settings: Settings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db, self.routing, self.catalog = engine, routing, catalog
        self.settings, self.clock = settings, clock
        self.on_delivered: Callable[[str, str], None] = lambda receiver, state: None

    # ---- status changes in ----

    def handle(self, change: StatusChange) -> None:
        now = self.clock()
        with self.db.begin() as c:
            if c.execute(sa.select(seen).where(seen.c.event_id == change.event_id)).first():
                return  # a redelivered event: already handled
            c.execute(seen.insert().values(event_id=change.event_id))
            base = f"{change.indicator_id}|{change.jurisdiction}"
            snapshot = change.model_dump(mode="json")
            if change.reason == "overdue":
                self._open_or_update(
                    c,
                    f"{base}|overdue",
                    "overdue",
                    change,
                    "overdue",
                    "warning",
                    [_bureau(change.jurisdiction)],
                    [],
                    snapshot,
                    now,
                )
                return
            overdue = self._active(c, f"{base}|overdue")
            if overdue is not None and _arrived(overdue.snapshot, change):
                self._resolve(c, overdue, snapshot, now)
            to = change.to_status.value
            active = self._active(c, f"{base}|offtrack")
            if to in _BASE:
                # goals paragraphs name no agency: the jurisdiction's S&T authority is addressed
                lead = list(change.lead_agencies) or [f"{change.jurisdiction}科技主管部门"]
                copied = [a for a in change.responsible_agencies if a not in lead]
                self._open_or_update(
                    c,
                    f"{base}|offtrack",
                    "offtrack",
                    change,
                    to,
                    severity_of(to, change.tier),
                    lead,
                    copied,
                    snapshot,
                    now,
                )
            elif to in GOOD and active is not None:
                self._resolve(c, active, snapshot, now)

    def _active(self, c: sa.Connection, key: str) -> Any:
        return c.execute(
            sa.select(alerts).where(alerts.c.alert_key == key, alerts.c.state != "resolved")
        ).first()

    def _open_or_update(
        self,
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
    ) -> None:
        active = self._active(c, key)
        if active is None:
            alert_id = c.execute(
                alerts.insert().values(
                    alert_key=key,
                    type=kind,
                    indicator_id=change.indicator_id,
                    jurisdiction=change.jurisdiction,
                    plan_code=change.plan_code,
                    status=status,
                    severity=severity,
                    state="open",
                    agencies=lead,
                    copied=copied,
                    snapshot=snapshot,
                    opened_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            self._enqueue(c, alert_id, "firing", now)
            return
        worse = SEVERITIES.index(severity) > SEVERITIES.index(active.severity) or (
            status in _BASE and active.status in _BASE and _BASE[status] > _BASE[active.status]
        )
        c.execute(
            alerts.update()
            .where(alerts.c.id == active.id)
            .values(
                status=status,
                severity=max(severity, active.severity, key=SEVERITIES.index),
                snapshot=snapshot,
                updated_at=now,
            )
        )
        if worse:
            self._enqueue(c, active.id, "firing", now)

    def _resolve(
        self, c: sa.Connection, alert: Any, snapshot: dict[str, Any], now: datetime
    ) -> None:
        status = snapshot.get("to_status") or alert.status
        c.execute(
            alerts.update()
            .where(alerts.c.id == alert.id)
            .values(
                state="resolved",
                resolved_at=now,
                updated_at=now,
                snapshot=snapshot,
                status=status if status != "overdue" else alert.status,
            )
        )
        if alert.last_notified_at is not None:  # only say "resolved" to who heard "firing"
            self._enqueue(c, alert.id, "resolved", now)

    # ---- routing into waiting items ----

    def _labels(self, alert: Any) -> dict[str, Any]:
        return {
            "plan": alert.plan_code,
            "jurisdiction": alert.jurisdiction,
            "agency": list(alert.agencies),
            "indicator": alert.indicator_id,
            "severity": alert.severity,
            "type": alert.type,
        }

    def _inhibited(self, c: sa.Connection, alert: Any) -> bool:
        labels = self._labels(alert)
        for rule in self.routing.config.inhibit_rules:
            if any(str(labels.get(k)) != v for k, v in rule.target_match.items()):
                continue
            for source in c.execute(
                sa.select(alerts).where(alerts.c.state != "resolved", alerts.c.id != alert.id)
            ):
                s_labels = self._labels(source)
                if all(str(s_labels.get(k)) == v for k, v in rule.source_match.items()) and all(
                    s_labels.get(k) == labels.get(k) for k in rule.equal
                ):
                    return True
        return False

    def _enqueue(
        self, c: sa.Connection, alert_id: int, kind: str, now: datetime, receiver: str | None = None
    ) -> int:
        alert = c.execute(sa.select(alerts).where(alerts.c.id == alert_id)).one()
        if kind in ("firing", "repeat") and (
            alert.state == "silenced" or self._inhibited(c, alert)
        ):
            return 0
        labels = self._labels(alert)
        count = 0
        for decision in self.routing.route(labels):
            name = receiver or decision.receiver
            targets = [f"agency:{a}" for a in alert.agencies] if name == LEAD_AGENCY else [name]
            for target in targets:
                parts = [target] + [
                    str(labels.get(k)) for k in decision.group_by if k not in ("agency",)
                ]
                c.execute(
                    items.insert().values(
                        alert_id=alert_id,
                        kind=kind,
                        receiver=target,
                        group_key="|".join(parts),
                        group_wait_s=decision.group_wait.total_seconds(),
                        group_interval_s=decision.group_interval.total_seconds(),
                        created_at=now,
                    )
                )
                count += 1
            if receiver:
                break
        return count

    # ---- timed work ----

    def tick(self) -> None:
        now = self.clock()
        with self.db.begin() as c:
            self._expire_silences(c, now)
            self._repeat(c, now)
            self._escalate(c, now)
            self._group(c, now)
        self._deliver_due(now)

    def _expire_silences(self, c: sa.Connection, now: datetime) -> None:
        for alert in c.execute(
            sa.select(alerts).where(alerts.c.state == "silenced", alerts.c.silenced_until <= now)
        ):
            c.execute(
                alerts.update()
                .where(alerts.c.id == alert.id)
                .values(
                    state="acknowledged" if alert.acked_at else "open",
                    updated_at=now,
                )
            )

    def _repeat(self, c: sa.Connection, now: datetime) -> None:
        for alert in c.execute(
            sa.select(alerts).where(
                alerts.c.state == "open", alerts.c.last_notified_at.is_not(None)
            )
        ):
            interval = min(d.repeat_interval for d in self.routing.route(self._labels(alert)))
            if (
                alert.last_notified_at + interval <= now
                and not c.execute(
                    sa.select(items.c.id).where(
                        items.c.alert_id == alert.id, items.c.notification_id.is_(None)
                    )
                ).first()
            ):
                self._enqueue(c, alert.id, "repeat", now)

    def _escalate(self, c: sa.Connection, now: datetime) -> None:
        rule = self.routing.config.escalation
        if rule is None:
            return
        from planwatch_alerts.routing import parse_duration

        after = parse_duration(rule.after)
        for alert in c.execute(
            sa.select(alerts).where(
                alerts.c.state == "open",
                alerts.c.escalated_at.is_(None),
                alerts.c.severity.in_(rule.severities),
            )
        ):
            if alert.opened_at + after <= now:
                self._enqueue(c, alert.id, "escalation", now, receiver=rule.receiver)
                c.execute(alerts.update().where(alerts.c.id == alert.id).values(escalated_at=now))

    def _group(self, c: sa.Connection, now: datetime) -> None:
        waiting = c.execute(
            sa.select(items).where(items.c.notification_id.is_(None)).order_by(items.c.id)
        ).all()
        groups: dict[str, list[Any]] = {}
        for row in waiting:
            groups.setdefault(row.group_key, []).append(row)
        for group_key, rows in groups.items():
            first = rows[0]
            if first.created_at + timedelta(seconds=first.group_wait_s) > now:
                continue
            last = c.execute(
                sa.select(sa.func.max(notifications.c.created_at)).where(
                    notifications.c.group_key == group_key
                )
            ).scalar()
            if last is not None and last + timedelta(seconds=first.group_interval_s) > now:
                continue
            self._make_notification(c, group_key, rows, now)

    def _recipients(
        self, c: sa.Connection, receiver: str, alert_rows: list[Any]
    ) -> tuple[str, list[str], list[str], list[str]]:
        """Addressee name, to, cc addresses and the copied agency names."""
        if receiver.startswith("agency:"):
            name = receiver.removeprefix("agency:")
            contact = self._contact(name)
            copied = sorted({a for r in alert_rows for a in r.copied if a != name})
            cc = [addr for a in copied for addr in self._contact(a)]
            return name, contact, cc, copied
        configured = self.routing.receivers[receiver]
        return receiver, list(configured.email) + list(configured.apprise), [], []

    def _contact(self, agency_name: str) -> list[str]:
        agency = self.catalog.agency(agency_name)
        agency_id = (
            agency.id if agency else "bureau-" + hashlib.sha1(agency_name.encode()).hexdigest()[:8]
        )
        contact = self.routing.contact(agency_id, agency_name)
        return list(contact.email) + list(contact.apprise)

    def _make_notification(
        self, c: sa.Connection, group_key: str, rows: list[Any], now: datetime
    ) -> None:
        latest: dict[int, str] = {}
        for row in rows:
            latest[row.alert_id] = row.kind
        alert_rows = c.execute(sa.select(alerts).where(alerts.c.id.in_(latest))).all()
        receiver = rows[0].receiver
        addressee, to, cc, copied = self._recipients(c, receiver, alert_rows)
        entries = [(dict(a._mapping), latest[a.id]) for a in alert_rows]
        subject, body = render_digest(
            entries, addressee, copied, self.settings.language, self.settings.common.board_url
        )
        kinds = set(latest.values())
        dedup = hashlib.sha256(f"{group_key}|{sorted(r.id for r in rows)}".encode()).hexdigest()
        notification_id = c.execute(
            notifications.insert().values(
                dedup_key=dedup,
                group_key=group_key,
                receiver=receiver,
                to=to,
                cc=cc,
                subject=subject,
                body=body,
                alert_ids=sorted(latest),
                kind="resolved" if kinds == {"resolved"} else next(iter(kinds - {"resolved"})),
                state="pending" if to or cc else "failed",
                attempts=0,
                last_error=None if to or cc else "no contact configured for this receiver",
                created_at=now,
                next_attempt_at=now,
            )
        ).inserted_primary_key[0]
        c.execute(
            items.update()
            .where(items.c.id.in_([r.id for r in rows]))
            .values(notification_id=notification_id)
        )
        c.execute(alerts.update().where(alerts.c.id.in_(latest)).values(last_notified_at=now))

    def _deliver_due(self, now: datetime) -> None:
        with self.db.connect() as c:
            due = c.execute(
                sa.select(notifications)
                .where(notifications.c.state == "pending", notifications.c.next_attempt_at <= now)
                .order_by(notifications.c.id)
            ).all()
        s = self.settings
        for n in due:
            attempt = n.attempts + 1
            try:
                deliver(
                    smtp_host=s.smtp_host,
                    smtp_port=s.smtp_port,
                    smtp_from=s.smtp_from,
                    to=list(n.to),
                    cc=list(n.cc),
                    subject=n.subject,
                    body=n.body,
                    message_id=n.dedup_key[:32],
                    timeout=s.smtp_timeout_s,
                )
            except DeliveryError as exc:
                final = not exc.retryable or attempt >= s.max_attempts
                wait = min(s.retry_base_s * 2 ** (attempt - 1), s.retry_max_s)
                values = {
                    "attempts": attempt,
                    "last_error": str(exc),
                    "state": "failed" if final else "pending",
                    "next_attempt_at": now + timedelta(seconds=wait),
                }
                log.warning("notification %s attempt %s failed: %s", n.id, attempt, exc)
                self.on_delivered(n.receiver, "failed" if final else "retry")
            else:
                values = {
                    "attempts": attempt,
                    "state": "sent",
                    "sent_at": self.clock(),
                    "last_error": None,
                }
                self.on_delivered(n.receiver, "sent")
            with self.db.begin() as c:
                c.execute(notifications.update().where(notifications.c.id == n.id).values(**values))
