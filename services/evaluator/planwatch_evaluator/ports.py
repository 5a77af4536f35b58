"""The evaluator's ports: where time series go, and where its events are published."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from planwatch.tsstore import Point

__all__ = ["Publisher", "SeriesSink"]


class SeriesSink(Protocol):
    """InfluxDB or the embedded store."""

    def write(self, points: Sequence[Point]) -> None:
        """Store a batch; writing a point again (same series and time) replaces it."""

    def close(self) -> None: ...


class Publisher(Protocol):
    """The output topics (``assessments``, ``status-changes``, ``submissions-dlq``)."""

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Queue one record for ``topic`` (sent by the next ``flush`` at the latest)."""

    async def flush(self) -> None:
        """Return once every queued record, table changelog records included, is acknowledged."""
