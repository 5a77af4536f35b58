"""Delivery channels: e-mail over SMTP, and chat robots / webhooks through apprise.

apprise speaks DingTalk (``dingtalk://``), WeCom robots (``wecombot://``), generic JSON webhooks
(``json://`` / ``jsons://``) and many more, so no chat client is written here.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Literal

from planwatch_alerts.ports import Delivery, DeliveryError

__all__ = ["AppriseChannel", "EmailChannel", "channel_for"]


SmtpSecurity = Literal["none", "starttls", "ssl"]


class EmailChannel:
    """E-mail through one SMTP relay: plain (port 25 inside a network), STARTTLS (587) or
    implicit TLS (465), with a login when the relay asks for one. The relay's certificate is
    checked against the system's authorities, or ``ca_file`` for a private one."""

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
        return msg

    def send(self, d: Delivery) -> None:
        try:
            with self.connect() as smtp:
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


class AppriseChannel:
    def send(self, d: Delivery) -> None:
        import apprise  # large; loaded on the first chat or webhook delivery

        sender = apprise.Apprise()
        for url in d.to:
            if not sender.add(url):
                raise DeliveryError(f"not an apprise URL: {url}", False)
        if not sender.notify(title=d.subject, body=d.body):
            raise DeliveryError(f"apprise could not deliver to {', '.join(d.to)}", True)


def channel_for(address: str) -> str:
    """``apprise`` for a URL (``scheme://…``), ``email`` for an address."""
    return "apprise" if "://" in address else "email"
