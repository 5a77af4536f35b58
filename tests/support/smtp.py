"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives.

Use the ``smtp_server`` fixture (tests/support/fixtures_smtp.py), or start one yourself::

    from support.smtp import SmtpServer

    server = SmtpServer().start()            # a free port on 127.0.0.1: server.port
    ...                                       # point the alerts service at it:
                                              # PLANWATCH_ALERTS_SMTP_HOST=127.0.0.1
                                              # PLANWATCH_ALERTS_SMTP_PORT=<server.port>
    mails = server.wait_for(2, timeout=10)    # at least two accepted messages, or TimeoutError
    mails[0].message["To"], mails[0].body, mails[0].rcpt_tos, mails[0].message_id
    server.stop()

Faults, switched on and off while the server runs:

- ``server.refuse_with = "451 4.3.0 try again later"`` answers every DATA with that reply
  (4xx: the sender should retry; 5xx: refused for good) until set back to ``None``;
  ``server.refuse_next(3)`` refuses only the next three messages. ``server.refused`` counts
  refusals, ``server.attempts`` every DATA seen (accepted or not).
- ``server.delay_s = 2.0`` holds each reply to DATA that long before accepting, so a test can
  kill the sender while a delivery is in flight.

Counting sessions: ``sessions`` counts the EHLO greetings, one per SMTP session a client opens.

Counting deliveries: ``messages`` holds every accepted message, copies included;
``unique()`` keeps the first of each Message-ID (the alerts service resends a delivery that a
crash interrupted with the same Message-ID, as a receiving mail system expects), and
``duplicates()`` lists the Message-IDs accepted more than once.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from support.net import free_port

__all__ = ["Received", "SmtpServer"]


@dataclass
class Received:
    message: EmailMessage
    rcpt_tos: list[str]

    @property
    def body(self) -> str:
        return self.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"] or "")

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_EHLO(
        self, smtp: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.server.lock:
            self.server.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        server = self.server
        with server.lock:
            server.attempts += 1
            reply = server.refuse_with
            if reply is None and server._refuse_left > 0:
                server._refuse_left -= 1
                reply = server._refuse_reply
            if reply is not None:
                server.refused += 1
                return reply
        if server.delay_s:
            await asyncio.sleep(server.delay_s)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with server.lock:
            server.messages.append(Received(message, list(envelope.rcpt_tos)))  # type: ignore[arg-type]
        return "250 OK"


@dataclass
class SmtpServer:
    port: int = field(default_factory=free_port)
    messages: list[Received] = field(default_factory=list)
    refuse_with: str | None = None
    delay_s: float = 0.0
    refused: int = 0
    attempts: int = 0
    sessions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _refuse_left: int = 0
    _refuse_reply: str = "451 4.3.0 try again later"

    def start(self) -> SmtpServer:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def refuse_next(self, count: int, reply: str = "451 4.3.0 try again later") -> None:
        with self.lock:
            self._refuse_left, self._refuse_reply = count, reply

    def unique(self) -> list[Received]:
        with self.lock:
            firsts: dict[str, Received] = {}
            for received in self.messages:
                firsts.setdefault(received.message_id or str(id(received)), received)
            return list(firsts.values())

    def duplicates(self) -> list[str]:
        with self.lock:
            counts = Counter(r.message_id for r in self.messages if r.message_id)
        return sorted(m for m, n in counts.items() if n > 1)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise TimeoutError(f"{len(self.messages)} messages after {timeout}s, wanted {count}")
