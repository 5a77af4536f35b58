"""Delivery channels: e-mail over SMTP, and chat robots / webhooks through apprise.

``deliver`` raises ``DeliveryError`` saying whether a retry may help (Alertmanager's notifier
does the same): an SMTP 4xx or a connection failure is retryable, a 5xx refusal is not.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

__all__ = ["DeliveryError", "deliver"]


class DeliveryError(Exception):
    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def _send_mail(
    host: str,
    port: int,
    sender: str,
    to: list[str],
    cc: list[str],
    subject: str,
    body: str,
    message_id: str,
    timeout: float,
) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = formatdate(localtime=False)
    # A stable Message-ID per notification lets a receiving server drop a resend.
    msg["Message-ID"] = make_msgid(idstring=message_id, domain="planwatch")
    msg.set_content(body, charset="utf-8")
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.send_message(msg, to_addrs=to + cc)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", exc.smtp_code < 500
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            f"recipients refused: {exc.recipients}", all(c < 500 for c in codes)
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}", True) from exc


def _send_apprise(urls: list[str], subject: str, body: str) -> None:
    import apprise

    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            raise DeliveryError(f"not a valid apprise URL: {url}", False)
    if not sender.notify(title=subject, body=body):
        raise DeliveryError("apprise: delivery failed", True)


def deliver(
    *,
    smtp_host: str,
    smtp_port: int,
    smtp_from: str,
    to: list[str],
    cc: list[str],
    subject: str,
    body: str,
    message_id: str,
    timeout: float = 10.0,
) -> None:
    """Send one notification to its e-mail addresses and apprise URLs."""
    mail_to = [a for a in to if "://" not in a]
    mail_cc = [a for a in cc if "://" not in a]
    urls = [a for a in to + cc if "://" in a]
    if mail_to or mail_cc:
        _send_mail(
            smtp_host,
            smtp_port,
            smtp_from,
            mail_to or mail_cc,
            mail_cc if mail_to else [],
            subject,
            body,
            message_id,
            timeout,
        )
    if urls:
        _send_apprise(urls, subject, body)
