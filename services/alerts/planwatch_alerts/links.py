"""Answer links: a signed, expiring token bound to one alert and one agency, good for one answer.

Each notification to an agency carries, per alert, a link ``/answer/<alert id>?t=<token>``. The
token (itsdangerous, HMAC-SHA256 with the configured key and a purpose of its own) holds the
alert id, the agency's name, the expiry and a nonce. The service accepts it only for the alert it
names, before its expiry, and once: the nonce is stored with the answer it gave. Every refusal
says in Chinese what is wrong with the link and what to do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["Grant", "LinkError", "LinkSigner", "Refusal"]

# a purpose of its own: a token signed for anything else with the same key is not an answer link
_SALT = "planwatch.alerts.answer-link.v1"


class Refusal(StrEnum):
    FORGED = "forged"
    EXPIRED = "expired"
    USED = "used"
    OTHER_ALERT = "other-alert"


# what the page says for each refusal (title, explanation)
REFUSALS: dict[Refusal, tuple[str, str]] = {
    Refusal.FORGED: (
        "链接无效",
        "此链接的签名无法验证：它可能被改动过，或不是本系统发出的。请使用通知邮件中的原始链接。",
    ),
    Refusal.EXPIRED: (
        "链接已过期",
        "此链接已超过有效期，不能再用于回复。请使用最近一次通知邮件中的链接，或联系督查部门。",
    ),
    Refusal.USED: (
        "链接已使用",
        "此链接已经提交过一次回复，每个链接只能回复一次。如需补充，请使用下一次通知邮件中的新链接。",
    ),
    Refusal.OTHER_ALERT: (
        "链接与预警不符",
        "此链接属于另一条预警，不能用于回复本条预警。请从通知邮件中点击对应预警下方的链接。",
    ),
}


class LinkError(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal

    @property
    def title(self) -> str:
        return REFUSALS[self.refusal][0]

    @property
    def detail(self) -> str:
        return REFUSALS[self.refusal][1]


@dataclass(frozen=True)
class Grant:
    """What a valid link allows: one answer to ``alert_id`` on behalf of ``agency``."""

    alert_id: int
    agency: str
    nonce: str
    expires: datetime


class LinkSigner:
    def __init__(self, key: str, ttl: timedelta) -> None:
        if not key:
            raise ValueError("link_secret: must not be empty")
        self._serializer = URLSafeSerializer(key, salt=_SALT)
        self.ttl = ttl

    def token(self, alert_id: int, agency: str, now: datetime) -> str:
        expires = now + self.ttl
        payload = {"a": alert_id, "g": agency, "e": int(expires.timestamp()), "n": _nonce()}
        return self._serializer.dumps(payload)

    def read(self, token: str, alert_id: int, now: datetime) -> Grant:
        """The grant of ``token`` for ``alert_id``; ``LinkError`` when it gives none.

        Whether it was used already is the store's to say (``Refusal.USED``).
        """
        try:
            payload: Any = self._serializer.loads(token)
        except BadSignature as exc:
            raise LinkError(Refusal.FORGED) from exc
        if not (
            isinstance(payload, dict)
            and isinstance(payload.get("a"), int)
            and isinstance(payload.get("g"), str)
            and isinstance(payload.get("e"), int)
            and isinstance(payload.get("n"), str)
        ):
            raise LinkError(Refusal.FORGED)
        if payload["a"] != alert_id:
            raise LinkError(Refusal.OTHER_ALERT)
        expires = datetime.fromtimestamp(payload["e"], tz=now.tzinfo)
        if now >= expires:
            raise LinkError(Refusal.EXPIRED)
        return Grant(alert_id, payload["g"], payload["n"], expires)


def _nonce() -> str:
    return secrets.token_urlsafe(12)
