"""The evaluator's ports: where time series go, and where its records are published."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from faust.types import Message

from planwatch.tsstore import Point

__all__ = ["Publisher", "Refetcher", "SeriesSink"]


class SeriesSink(Protocol):
    """InfluxDB or the embedded store."""

    def write(self, points: Sequence[Point]) -> None:
        """Store a batch; writing a point again (same series and time) replaces it."""

    def close(self) -> None: ...


class Publisher(Protocol):
    """The broker: output topics and the state table's changelog.

    Records of one partition are delivered in the order they were sent.
    """

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> None:
        """Queue one record (``partition`` None: by key). Sent by ``flush`` at the latest."""

    async def send_alone(self, topic: str, partition: int, key: bytes, value: bytes) -> None:
        """Queue one record after everything queued for ``partition``, in a batch of its own."""

    async def flush(self) -> None:
        """Return once every queued record is acknowledged (raise if one was refused)."""


class Refetcher(Protocol):
    """The broker read directly, for records the stream left out (``sequence.py``)."""

    async def read(self, topic: str, partition: int, offsets: range) -> list[Message]:
        """The records at ``offsets`` still on the broker, in order (raise if it cannot be
        read now; retried)."""

    def acknowledge(self, messages: Sequence[Message]) -> None:
        """Count records read this way as done, so that committed offsets can pass them."""

    async def close(self) -> None: ...
