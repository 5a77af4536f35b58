"""Delivery channels: e-mail over SMTP, chat robots / webhooks through apprise, and
Alertmanager's webhook format for on-call tools.

apprise speaks DingTalk (``dingtalk://``), WeCom robots (``wecombot://``), generic JSON webhooks
(``json://`` / ``jsons://``) and many more, so no chat client is written here. An
``alertmanager+http(s)://…`` destination gets the alerts themselves, labelled as Alertmanager
labels them, so an existing Alertmanager or on-call tool routes, silences and pages on them.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Literal

import httpx
import sqlalchemy as sa

from planwatch_alerts.lifecycle import REMINDER
from planwatch_alerts.ports import Delivery, DeliveryError
from planwatch_alerts.routing import ALERTMANAGER
from planwatch_alerts.store import alerts

__all__ = ["AlertmanagerChannel", "AppriseChannel", "EmailChannel", "channel_for"]


SmtpSecurity = Literal["none", "starttls", "ssl"]


class EmailChannel:
    """E-mail through one SMTP relay: plain (port 25 inside a network), STARTTLS (587) or
    implicit TLS (465), with a login when the relay asks for one. The relay's certificate is
    checked against the system's authorities, or ``ca_file`` for a private one.

    Inside ``session()`` (a delivery round) the messages share one SMTP session, opened at the
    first and closed at the end, instead of a connection each: a burst of notifications does not
    open dozens of connections to the relay. A message that fails closes the session (the next
    opens another); a kept session the relay has dropped meanwhile is opened again once for the
    message at hand.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        timeout: float = 10.0,
        *,
        security: SmtpSecurity = "none",
        username: str | None = None,
        password: str | None = None,
        ca_file: Path | None = None,
    ) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.security, self.username, self.password = security, username, password
        self.ca_file = ca_file
        self._local = threading.local()  # this thread's round: whether in one, its session

    def connect(self) -> smtplib.SMTP:
        """A session with the relay, encrypted and logged in as configured."""
        context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
        smtp: smtplib.SMTP
        if self.security == "ssl":
            context = context or ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                # refused (SMTPNotSupportedError) when the relay does not offer it: never falls
                # back to sending in clear text
                smtp.starttls(context=context or ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def check(self) -> None:
        """Connect, log in and say NOOP: raises what a delivery would meet."""
        with self.connect() as smtp:
            code, reply = smtp.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, reply)

    def message(self, d: Delivery) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["Subject"] = self.sender, d.subject
        msg["To"] = ", ".join(d.to or d.cc)
        if d.to and d.cc:
            msg["Cc"] = ", ".join(d.cc)
        msg["Date"] = formatdate(localtime=False)
        # The same Message-ID on a resend lets the receiving side drop the copy.
        msg["Message-ID"] = d.message_id
        msg.set_content(d.body, charset="utf-8")
        if d.html:
            msg.add_alternative(d.html, subtype="html", charset="utf-8")
        return msg

    @contextmanager
    def session(self) -> Iterator[None]:
        """A delivery round: the messages sent inside share one session (see the class)."""
        self._local.round = True
        try:
            yield
        finally:
            self._local.round = False
            self._close()

    def send(self, d: Delivery) -> None:
        try:
            self._send(d)
        except BaseException:
            self._close()  # a failed message ends the session: the next one opens another
            raise
        if not getattr(self._local, "round", False):
            self._close()

    def _send(self, d: Delivery) -> None:
        try:
            smtp, kept = self._session()
            try:
                smtp.send_message(self.message(d), to_addrs=d.to + d.cc)
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException) as exc:
                dropped = not isinstance(exc, smtplib.SMTPResponseException) or exc.smtp_code == 421
                if not (kept and dropped):
                    raise
                # the relay closed the session kept from the round's earlier messages
                self._close()
                smtp, _ = self._session()
                smtp.send_message(self.message(d), to_addrs=d.to + d.cc)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"SMTP recipients refused: {exc.recipients}", all(c < 500 for c in codes)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error
            text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
            raise DeliveryError(f"SMTP {exc.smtp_code}: {text}", exc.smtp_code < 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}", True) from exc

    def _session(self) -> tuple[smtplib.SMTP, bool]:
        """This thread's open session and whether it was kept from an earlier message."""
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is not None:
            return smtp, True
        smtp = self._local.smtp = self.connect()
        return smtp, False

    def _close(self) -> None:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


class AppriseChannel:
    def send(self, d: Delivery) -> None:
        import apprise  # large; loaded on the first chat or webhook delivery

        sender = apprise.Apprise()
        for url in d.to:
            if not sender.add(url):
                raise DeliveryError(f"not an apprise URL: {url}", False)
        if not sender.notify(title=d.subject, body=d.body):
            raise DeliveryError(f"apprise could not deliver to {', '.join(d.to)}", True)


# Alertmanager's "zero" time: an alert still firing has not ended
_NOT_ENDED = "0001-01-01T00:00:00Z"


def _rfc3339(moment: datetime | None) -> str:
    if moment is None:
        return _NOT_ENDED
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


class AlertmanagerChannel:
    """POSTs the notification's alerts in Alertmanager's webhook format (version 4), the one
    on-call tools accept from Alertmanager; to an Alertmanager's own ``/api/v2/alerts`` it
    POSTs the alert list that API takes instead, so that Alertmanager routes them further."""

    def __init__(self, db: sa.Engine, board_url: str, timeout: float = 10.0) -> None:
        self.db, self.board_url, self.timeout = db, board_url.rstrip("/"), timeout

    def _alert(self, row: Any) -> dict[str, Any]:
        resolved = row.state == "resolved"
        labels = {
            "alertname": f"planwatch_{row.type}",
            "plan": row.plan_code,
            "jurisdiction": row.jurisdiction,
            "indicator": row.indicator_id,
            "severity": row.severity,
            "type": row.type,
            "status": row.status,
            "agency": ",".join(row.agencies),
        }
        target = (row.snapshot or {}).get("target") or {}
        summary = target.get("indicator_simplified") or target.get("indicator") or row.indicator_id
        return {
            "status": "resolved" if resolved else "firing",
            "labels": labels,
            "annotations": {
                "summary": str(summary),
                "description": f"{row.indicator_id} {row.jurisdiction}: {row.status}",
            },
            "startsAt": _rfc3339(row.opened_at),
            "endsAt": _rfc3339(row.resolved_at) if resolved else _NOT_ENDED,
            "generatorURL": f"{self.board_url}/indicators/{row.indicator_id}",
            "fingerprint": hashlib.sha256(row.alert_key.encode()).hexdigest()[:16],
        }

    def payload(self, d: Delivery) -> dict[str, Any]:
        with self.db.connect() as c:
            rows = c.execute(
                sa.select(alerts).where(alerts.c.id.in_(d.alert_ids)).order_by(alerts.c.id)
            ).all()
        # a reminder before a due date is a notice, not an alert an on-call tool should page on
        found = [self._alert(r) for r in rows if r.type != REMINDER]
        common = {
            k: v
            for k, v in (found[0]["labels"] if found else {}).items()
            if all(a["labels"].get(k) == v for a in found)
        }
        firing = any(a["status"] == "firing" for a in found)
        return {
            "version": "4",
            "groupKey": d.group_key,
            "truncatedAlerts": 0,
            "status": "firing" if firing else "resolved",
            "receiver": d.receiver,
            "groupLabels": {k: common[k] for k in ("agency",) if k in common},
            "commonLabels": common,
            "commonAnnotations": {},
            "externalURL": self.board_url,
            "alerts": found,
        }

    def send(self, d: Delivery) -> None:
        (destination,) = d.to
        url = destination.removeprefix(ALERTMANAGER)
        webhook = self.payload(d)
        if not webhook["alerts"]:
            raise DeliveryError("the notification's alerts are gone from the store", False)
        body: Any = webhook
        if url.rstrip("/").endswith("/api/v2/alerts"):
            # Alertmanager's API: the alerts alone, without status and fingerprint
            keys = ("labels", "annotations", "startsAt", "endsAt", "generatorURL")
            body = [{k: a[k] for k in keys if a[k] != _NOT_ENDED} for a in webhook["alerts"]]
        try:
            answer = httpx.post(url, json=body, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Alertmanager receiver {url}: {exc}", True) from exc
        if answer.is_success:
            return
        code = answer.status_code
        retryable = code >= 500 or code in (408, 429)
        raise DeliveryError(f"Alertmanager receiver {url}: HTTP {code}", retryable)


def channel_for(address: str) -> str:
    """``alertmanager`` for ``alertmanager+<url>``, ``apprise`` for another URL
    (``scheme://…``), ``email`` for an address."""
    if address.startswith(ALERTMANAGER):
        return "alertmanager"
    return "apprise" if "://" in address else "email"
