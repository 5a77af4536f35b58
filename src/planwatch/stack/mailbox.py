"""The local mailbox of the embedded default: a real SMTP server writing a Maildir.

Alert e-mail of ``make run`` is delivered over SMTP, as in production, to this server; each
message lands as a readable file under ``<data_dir>/mailbox/new/``.
"""

from __future__ import annotations

from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

__all__ = ["LocalMailbox"]


class LocalMailbox:
    def __init__(self, directory: Path, port: int, host: str = "127.0.0.1") -> None:
        self.directory = directory
        for sub in ("tmp", "new", "cur"):  # a Maildir; new/ holds one file per message
            (directory / sub).mkdir(parents=True, exist_ok=True)
        self._controller = Controller(Mailbox(directory), hostname=host, port=port)

    @property
    def address(self) -> str:
        return f"{self._controller.hostname}:{self._controller.port}"

    def start(self) -> LocalMailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
