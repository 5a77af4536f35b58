"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives.

``SmtpServer().start()`` listens on a free port; ``messages`` holds every accepted message as
an ``email.message.EmailMessage`` with its envelope recipients; ``refuse_with = "451 busy"``
makes it answer DATA with that reply (4xx: try later, 5xx: refused) until set back to None.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
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


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        if self.server.refuse_with:
            self.server.refused += 1
            return self.server.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(Received(message, list(envelope.rcpt_tos)))  # type: ignore[arg-type]
        return "250 OK"


@dataclass
class SmtpServer:
    port: int = field(default_factory=free_port)
    messages: list[Received] = field(default_factory=list)
    refuse_with: str | None = None
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> SmtpServer:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise TimeoutError(f"{len(self.messages)} messages after {timeout}s, wanted {count}")
