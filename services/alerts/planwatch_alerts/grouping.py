"""From alerts to notifications: route, suppress, wait, group into digests, repeat, escalate.

An alert to tell about becomes one waiting item per receiver (the routing decisions are frozen
onto the alert when it opens or worsens). Items of one group wait ``group_wait`` after the first
arrives and ``group_interval`` after the group's previous digest, then become one digest: one
outbox row per channel and destination. Silenced and inhibited alerts are dropped when their
group is sent (as Alertmanager suppresses at notification time). A reminder before a due date
(``lifecycle.REMINDER``) travels the same way to its publisher, grouped with the chases of the
same bureau, without an answer link, a repeat or an Alertmanager delivery (it is no alert).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from planwatch.catalog import Catalog
from planwatch_alerts.answers import quoted_answers
from planwatch_alerts.channels import channel_for
from planwatch_alerts.lifecycle import REMINDER
from planwatch_alerts.links import LinkSigner
from planwatch_alerts.messages import DigestItem, render_digest
from planwatch_alerts.routing import LEAD_AGENCY, Decision, Routing, parse_duration
from planwatch_alerts.store import (
    alert_row,
    alerts,
    insert,
    items,
    notifications,
    responses,
    update_alert,
)

__all__ = ["Grouper", "labels_of"]

log = logging.getLogger("planwatch.alerts")

# label → column, for the inhibition query
_COLUMNS = {
    "plan": alerts.c.plan_code,
    "jurisdiction": alerts.c.jurisdiction,
    "indicator": alerts.c.indicator_id,
    "severity": alerts.c.severity,
    "type": alerts.c.type,
}
_REPEATED = ("firing", "repeat", "escalation")


def labels_of(alert: Any) -> dict[str, Any]:
    return {
        "plan": alert.plan_code,
        "jurisdiction": alert.jurisdiction,
        "agency": list(alert.agencies),
        "indicator": alert.indicator_id,
        "severity": alert.severity,
        "type": alert.type,
    }


@lru_cache(maxsize=64)
def _inhibition_query(source_match: tuple[tuple[str, str], ...], equal: tuple[str, ...]) -> Any:
    """The alerts not resolved, other than the one asked about (``alert_id_``), that match an
    inhibition rule's source side and share the values of its ``equal`` labels (``equal_<label>``);
    built once per rule, as every status change asks."""
    query = sa.select(alerts).where(
        alerts.c.state != "resolved", alerts.c.id != sa.bindparam("alert_id_")
    )
    for key, value in source_match:
        if key in _COLUMNS:
            query = query.where(_COLUMNS[key] == value)
    for key in equal:
        query = query.where(_COLUMNS[key] == sa.bindparam(f"equal_{key}"))
    return query


def _digest_id(group_key: str, item_ids: Sequence[int]) -> str:
    return hashlib.sha256(f"{group_key}|{sorted(item_ids)}".encode()).hexdigest()[:32]


class Grouper:
    def __init__(
        self,
        routing: Routing,
        catalog: Catalog,
        language: str,
        board_url: str,
        signer: LinkSigner | None = None,
        public_url: str = "",
        reply_within: timedelta = timedelta(days=7),
    ) -> None:
        self.routing, self.catalog = routing, catalog
        self.language, self.board_url = language, board_url
        # answer links go to agencies only: a supervising body reads, the agency answers
        self.signer, self.public_url, self.reply_within = signer, public_url, reply_within

    # ---- routing into waiting items ----

    def freeze_routes(self, c: sa.Connection, alert_id: int, now: datetime) -> None:
        """Store the alert's routing decisions and escalation deadline as they are now."""
        row = alert_row(c, alert_id)
        decisions = self.routing.route(labels_of(row))
        values: dict[str, Any] = {"routes": [d.to_json() for d in decisions]}
        rule = self.routing.config.escalation
        if (
            rule is not None
            and row.severity in rule.severities
            and row.escalate_at is None
            and row.escalated_at is None
        ):
            values["escalate_at"] = now + parse_duration(rule.after)
        update_alert(c, alert_id, **values)

    def inhibited(self, c: sa.Connection, alert: Any) -> bool:
        labels = labels_of(alert)
        for rule in self.routing.inhibitors(labels):
            equal = tuple(k for k in rule.equal if k in _COLUMNS)
            query = _inhibition_query(tuple(sorted(rule.source_match.items())), equal)
            values = {f"equal_{k}": labels[k] for k in equal}
            for source in c.execute(query, {"alert_id_": alert.id, **values}):
                s = labels_of(source)
                if all(str(s.get(k)) == v for k, v in rule.source_match.items()) and all(
                    s.get(k) == labels.get(k) for k in rule.equal
                ):
                    return True
        return False

    def enqueue(
        self, c: sa.Connection, alert_id: int, kind: str, now: datetime, receiver: str | None = None
    ) -> int:
        """Waiting items for this alert, one per receiver; the number made."""
        alert = alert_row(c, alert_id)
        labels = labels_of(alert)
        decisions = [Decision.from_json(d) for d in alert.routes] or self.routing.route(labels)
        if receiver is not None:  # escalation: the first route's timing, another receiver
            decisions = [decisions[0]]
        count = 0
        for decision in decisions:
            name = receiver or decision.receiver
            if name == LEAD_AGENCY:
                # An agency's name means a body of its plan's jurisdiction: one digest per
                # jurisdiction, so 省科技厅 of two provinces are never one addressee.
                scope = [self._registry_scope(alert.plan_code)]
                targets = [f"agency:{a}" for a in alert.agencies]
            else:
                scope, targets = [], [name]
            for target in targets:
                parts = [target, *scope] + [
                    str(labels.get(k)) for k in decision.group_by if k != "agency"
                ]
                insert(
                    c,
                    items,
                    alert_id=alert_id,
                    kind=kind,
                    receiver=target,
                    group_key="|".join(parts),
                    group_wait_s=0.0 if receiver else decision.group_wait_s,
                    group_interval_s=decision.group_interval_s,
                    created_at=now,
                )
                count += 1
        return count

    # ---- timed work ----

    def catch_up(self, c: sa.Connection, now: datetime) -> None:
        """Open alerts nobody was told about (inhibited until now, or silenced until now)."""
        waiting = sa.select(items.c.alert_id).where(items.c.digest.is_(None))
        for alert in c.execute(
            sa.select(alerts).where(
                alerts.c.state == "open",
                alerts.c.last_notified_at.is_(None),
                alerts.c.id.not_in(waiting),
            )
        ):
            if not self.inhibited(c, alert):
                self.enqueue(c, alert.id, "firing", now)

    def repeat(self, c: sa.Connection, now: datetime) -> None:
        waiting = sa.select(items.c.alert_id).where(items.c.digest.is_(None))
        for alert in c.execute(
            sa.select(alerts).where(
                alerts.c.state == "open",
                alerts.c.next_repeat_at <= now,
                alerts.c.id.not_in(waiting),
            )
        ):
            update_alert(c, alert.id, next_repeat_at=None)
            if not self.inhibited(c, alert):
                self.enqueue(c, alert.id, "repeat", now)

    def escalate(self, c: sa.Connection, now: datetime) -> None:
        """Alerts still open and unanswered at their deadline go to the supervising body: those
        of the escalated severities at ``after``, any alert at ``unanswered_after``."""
        rule = self.routing.config.escalation
        if rule is None:
            return
        answered = sa.select(responses.c.alert_id)
        due = alerts.c.escalate_at <= now
        if rule.unanswered_after is not None:
            due = sa.or_(due, alerts.c.opened_at <= now - parse_duration(rule.unanswered_after))
        for alert in c.execute(
            sa.select(alerts).where(
                alerts.c.state == "open",
                alerts.c.escalated_at.is_(None),
                alerts.c.id.not_in(answered),
                due,
            )
        ):
            self.enqueue(c, alert.id, "escalation", now, receiver=rule.receiver)
            update_alert(c, alert.id, escalated_at=now)

    def group(self, c: sa.Connection, now: datetime) -> int:
        """Turn the groups that are due into digests; the number of outbox rows made."""
        waiting = c.execute(
            sa.select(items).where(items.c.digest.is_(None)).order_by(items.c.id)
        ).all()
        groups: dict[str, list[Any]] = {}
        for row in waiting:
            groups.setdefault(row.group_key, []).append(row)
        made = 0
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
            made += self._digest(c, group_key, rows, now)
        return made

    def _suppressed(self, c: sa.Connection, alert: Any, kind: str) -> bool:
        if kind not in _REPEATED:
            return False  # a resolve notice always goes (only to who heard the alert)
        if alert.state == "resolved":
            return True  # resolved while its group waited: nobody needs to hear either
        return alert.state == "silenced" or self.inhibited(c, alert)

    def _digest(self, c: sa.Connection, group_key: str, rows: list[Any], now: datetime) -> int:
        digest = _digest_id(group_key, [r.id for r in rows])
        latest: dict[int, str] = {}
        for row in rows:
            latest[row.alert_id] = row.kind
        alert_rows = c.execute(sa.select(alerts).where(alerts.c.id.in_(latest))).all()
        told = [a for a in alert_rows if not self._suppressed(c, a, latest[a.id])]
        c.execute(items.update().where(items.c.id.in_([r.id for r in rows])).values(digest=digest))
        if not told:
            return 0
        receiver = rows[0].receiver
        addressee, to, cc, copied = self._recipients(receiver, told)
        answers = quoted_answers(c, told)
        agency = receiver.removeprefix("agency:") if receiver.startswith("agency:") else None
        entries = [
            DigestItem(
                dict(a._mapping),
                latest[a.id],
                answers[a.id],
                self._answer_url(a.id, agency, now)
                if agency in a.agencies and latest[a.id] != REMINDER
                else None,
            )
            for a in told
        ]
        digest_text = render_digest(
            entries,
            addressee,
            copied,
            self.language,
            self.board_url,
            self.catalog,
            (now + self.reply_within).date(),
            now.date(),
        )
        subject, body = digest_text.subject, digest_text.text
        kinds = {latest[a.id] for a in told}
        kind = "resolved" if kinds == {"resolved"} else sorted(kinds - {"resolved"})[0]
        base = {
            "digest": digest,
            "group_key": group_key,
            "receiver": receiver,
            "subject": subject,
            "body": body,
            "html": digest_text.html,
            "alert_ids": sorted(a.id for a in told),
            "kind": kind,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        deliveries = self._deliveries(to, cc, alerting=kinds != {REMINDER})
        if not deliveries:
            why = "no contact configured for this receiver"
            if kinds == {REMINDER}:
                why = "no e-mail or apprise contact for this receiver (reminders skip Alertmanager)"
            deliveries = [("email", [], [], why)]
        for channel, d_to, d_cc, error in deliveries:
            key = hashlib.sha256(f"{digest}|{channel}|{d_to}".encode()).hexdigest()[:40]
            c.execute(
                notifications.insert().values(
                    **base,
                    dedup_key=key,
                    channel=channel,
                    to=d_to,
                    cc=d_cc,
                    state="failed" if error else "pending",
                    last_error=error,
                    message_id=f"<{key}@planwatch>",
                )
            )
        for a in told:
            values: dict[str, Any] = {"last_notified_at": now}
            if latest[a.id] in ("firing", "repeat"):
                repeat = min((Decision.from_json(d).repeat_interval_s for d in a.routes), default=0)
                if repeat > 0:
                    values["next_repeat_at"] = now + timedelta(seconds=repeat)
            update_alert(c, a.id, **values)
        return len(deliveries)

    def _answer_url(self, alert_id: int, agency: str | None, now: datetime) -> str | None:
        if self.signer is None or agency is None:
            return None
        token = self.signer.token(alert_id, agency, now)
        return f"{self.public_url.rstrip('/')}/answer/{alert_id}?t={token}"

    @staticmethod
    def _deliveries(
        to: list[str], cc: list[str], alerting: bool = True
    ) -> list[tuple[str, list[str], list[str], str | None]]:
        """One e-mail with To and Cc, and one delivery per apprise URL (and per Alertmanager
        URL when the digest holds an alert: reminders alone are not alerts to page on)."""
        mail_to = [a for a in to if channel_for(a) == "email"]
        mail_cc = [a for a in cc if channel_for(a) == "email" and a not in mail_to]
        out: list[tuple[str, list[str], list[str], str | None]] = []
        if mail_to or mail_cc:
            out.append(("email", mail_to or mail_cc, mail_cc if mail_to else [], None))
        for channel in ("apprise", "alertmanager") if alerting else ("apprise",):
            urls = dict.fromkeys(a for a in to + cc if channel_for(a) == channel)
            out += [(channel, [url], [], None) for url in urls]
        return out

    def _recipients(
        self, receiver: str, told: list[Any]
    ) -> tuple[str, list[str], list[str], list[str]]:
        """Addressee name, to and cc destinations, and the copied agency names."""
        if receiver.startswith("agency:"):
            name = receiver.removeprefix("agency:")
            # A digest's alerts are of one registry scope (see enqueue): its first alert's plan
            # says whose bodies the names are.
            plan = told[0].plan_code
            copied = sorted({a for r in told for a in r.copied if a != name})
            cc = [addr for a in copied for addr in self._contact(a, plan)]
            return name, self._contact(name, plan), cc, copied
        configured = self.routing.receivers.get(receiver)
        if configured is None:  # removed from the file since the alert was routed
            return receiver, [], [], []
        return receiver, configured.destinations(), [], []

    def _registry_scope(self, plan_code: str) -> str:
        """The jurisdiction whose registry resolves the agency names of this plan."""
        plan = self.catalog.plans.get(plan_code)
        return plan.jurisdiction if plan is not None else ""

    def _contact(self, agency_name: str, plan_code: str) -> list[str]:
        """The addresses of the body ``agency_name`` as plan ``plan_code`` names it. A name that
        the registry of the plan's jurisdiction does not list gets an id of its own, made from
        the jurisdiction and the name: never another jurisdiction's body or address."""
        agency = self.catalog.agency(agency_name, plan_code)
        if agency is not None:
            agency_id = agency.id
        else:
            unlisted = f"{self._registry_scope(plan_code)}|{agency_name}"
            agency_id = "agency-" + hashlib.sha1(unlisted.encode()).hexdigest()[:8]
        contact = self.routing.contact(agency_id, agency_name)
        return contact.destinations()
