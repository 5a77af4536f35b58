"""The port the delivery stages send through: one channel per kind of destination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Channel", "Delivery", "DeliveryError"]


@dataclass(frozen=True)
class Delivery:
    to: list[str]  # e-mail addresses, or the one apprise URL
    cc: list[str]
    subject: str
    body: str
    message_id: str  # stable per notification: a resend carries the same id
    html: str | None = None  # the same content as HTML, for channels that can show it
    # the notification's alerts and grouping, for channels that send structured alerts
    # (Alertmanager's webhook format) instead of the rendered text
    alert_ids: tuple[int, ...] = ()
    kind: str = "firing"
    receiver: str = ""
    group_key: str = ""


class DeliveryError(Exception):
    """A delivery that did not happen; ``retryable`` says whether trying later may help
    (as Alertmanager's notifiers do): a 4xx or a lost connection is, a 5xx refusal is not."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    """A channel may also offer ``session()``, a context manager for a delivery round within
    which its sends may share a connection (``EmailChannel``)."""

    def send(self, delivery: Delivery) -> None:
        """Deliver or raise ``DeliveryError``."""
