"""The two things the ingest service stands on: a durable ledger and a broker to publish to."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from planwatch_ingest.outcomes import Decision, Known
from planwatch_ingest.validation import Figure

__all__ = [
    "AlreadyAnswered",
    "Decide",
    "EventPublisher",
    "KeyInFlight",
    "Ledger",
    "LedgerBroken",
    "OutboxRow",
    "StoredResponse",
]

# Given what the ledger holds (latest per series, figures per client submission id), decide.
Decide = Callable[[Mapping[str, Known], Mapping[str, Known]], Decision]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    seq: int  # ledger order: the order events are published in
    event_id: str
    key: bytes
    payload: bytes


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first answer to a request sent with an Idempotency-Key, replayed byte for byte."""

    request_sha256: str
    status: int
    body: bytes


class AlreadyAnswered(Exception):
    """A request with this Idempotency-Key was answered meanwhile: replay that answer."""

    def __init__(self, stored: StoredResponse | None) -> None:
        super().__init__("already answered")
        self.stored = stored


class KeyInFlight(Exception):
    """A request with this Idempotency-Key is being written right now."""


class LedgerBroken(Exception):
    """A write failed; the ledger takes nothing more until the service restarts."""


class Ledger(Protocol):
    """Durable store of every accepted figure and the outbox of events still to publish."""

    def stage(
        self, owner: str, figures: Sequence[Figure], decide: Decide, idempotency_key: str | None
    ) -> Decision:
        """Decide against what the ledger holds and apply it to the lookups (not yet durable).

        Raises AlreadyAnswered / KeyInFlight for a known or in-flight Idempotency-Key, and
        LedgerBroken after a failed write.
        """
        ...

    def write(
        self,
        owner: str,
        decision: Decision,
        *,
        key_id: str,
        idempotency: tuple[str, str] | None = None,
        answer: tuple[int, bytes] | None = None,
    ) -> None:
        """Make a staged decision durable (fsync'd) in one transaction, with the stored answer."""
        ...

    def peek(self, owner: str, figures: Sequence[Figure], decide: Decide) -> Decision:
        """Decide against what the ledger holds without applying it (a preview)."""
        ...

    def history(self, owner: str) -> list[bytes]:
        """The event bytes of every figure ``owner`` sent, every vintage, in ledger order."""
        ...

    def release(self, owner: str, idempotency_key: str) -> None: ...

    def replay(self, owner: str, idempotency_key: str) -> StoredResponse | None: ...

    def pending(self, after_seq: int, limit: int) -> list[OutboxRow]: ...

    def cursor(self) -> int:
        """Seq of the last event known to be on the broker (0: none)."""
        ...

    def set_cursor(self, seq: int) -> None: ...

    def last_seq(self) -> int: ...

    def close(self) -> None: ...


class EventPublisher(Protocol):
    """Produces outbox rows to the submissions topic and tells when the broker lost its data."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def intact(self) -> bool:
        """False when the broker no longer holds what was published (restarted empty)."""
        ...

    async def restore(self) -> set[str]:
        """Recreate the topics and the marker; return the event ids already on the topic."""
        ...

    async def publish(self, rows: Sequence[OutboxRow]) -> set[int]:
        """Produce with acks=all; the seqs the broker acknowledged (may be fewer than sent)."""
        ...
