"""Delivery channels: e-mail over SMTP, and chat robots / webhooks through apprise.

apprise speaks DingTalk (``dingtalk://``), WeCom robots (``wecombot://``), generic JSON webhooks
(``json://`` / ``jsons://``) and many more, so no chat client is written here.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from planwatch_alerts.ports import Delivery, DeliveryError

__all__ = ["AppriseChannel", "EmailChannel", "channel_for"]


class EmailChannel:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

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

    def send(self, d: Delivery) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
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
