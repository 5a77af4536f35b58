"""The evaluator's ports: where time series go, where its records are published, where the
state of each key is kept, where the group resumes a partition."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from planwatch.tsstore import Point
from planwatch_evaluator.state import KeyState

__all__ = ["GroupOffsets", "Publisher", "SeriesSink", "StateTable"]


class SeriesSink(Protocol):
    """InfluxDB or the embedded store."""

    def write(self, points: Sequence[Point]) -> None:
        """Store a batch; writing a point again (same series and time) replaces it."""

    def ping(self) -> None:
        """Return if the store answers now, cheaply (readiness); raise saying why not."""

    def close(self) -> None: ...


class Publisher(Protocol):
    """The output topics (assessments, status changes, dead letters), partitioned by key."""

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Hand one record to the producer (sent by ``flush`` at the latest)."""

    async def flush(self) -> None:
        """Return once every record handed over is acknowledged (raise if one was refused)."""


class StateTable(Protocol):
    """The state of each key held by this worker (faust: a table with a changelog topic)."""

    def get(self, key: bytes) -> KeyState | None: ...

    def put(self, key: bytes, state: KeyState) -> None:
        """Keep ``state``; durable once the producer is flushed (faust does before it commits
        the offsets of the events that made it)."""

    def items(self) -> Iterator[tuple[bytes, KeyState]]: ...


class GroupOffsets(Protocol):
    """Where the consumer group resumes partitions (the broker's answer)."""

    async def positions(self, tps: Sequence[Any]) -> dict[Any, int]:
        """The group's committed offset of each of ``tps``, or the log's first offset when
        nothing is committed; those the broker cannot say are left out (their first event is
        then the start)."""

    async def ends(self, tps: Sequence[Any]) -> dict[Any, int]:
        """The offset past the last record of each of ``tps`` (the broker's high watermark)."""
