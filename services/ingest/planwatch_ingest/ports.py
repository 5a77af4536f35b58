"""What the ingest service stands on, each a port of a few methods with an in-memory fake.

``Ledger``: what the submission service needs (record a decision durably, replay an answer).
``Figures``: what the bureau's reads need (preview a decision, the figures it sent).
``Outbox``: what the relay needs (the rows still to publish, and which ones the broker has).
``EventPublisher``: what the relay publishes to (the broker).
"""

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
    "Figures",
    "KeyInFlight",
    "Ledger",
    "LedgerBroken",
    "LedgerStore",
    "Outbox",
    "OutboxRow",
    "Render",
    "StoredResponse",
]

# Given what the ledger holds (latest per series, figures per client submission id), decide.
Decide = Callable[[Mapping[str, Known], Mapping[str, Known]], Decision]
# The answer stored with an Idempotency-Key: (status, body) of a decision.
Render = Callable[[Decision], tuple[int, bytes]]


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


class KeyInFlight(Exception):
    """A request with this Idempotency-Key is being written right now (by another replica)."""


class LedgerBroken(Exception):
    """The ledger could not store the request; nothing of it was kept."""


class Ledger(Protocol):
    """Durable store of every accepted figure, in the order they are to be published."""

    def record(
        self,
        owner: str,
        figures: Sequence[Figure],
        decide: Decide,
        *,
        key_id: str,
        idempotency: tuple[str, str] | None = None,
        render: Render | None = None,
    ) -> Decision:
        """Decide against what the ledger holds and keep the result durably, in one transaction.

        ``idempotency`` is (key, request digest); ``render`` is called once for a decision
        without errors, and the answer it gives is stored with the key.
        A decision with errors keeps nothing. Raises AlreadyAnswered / KeyInFlight for a known
        or in-flight Idempotency-Key, LedgerBroken when the store fails.
        """
        ...

    def replay(self, owner: str, idempotency_key: str) -> StoredResponse | None:
        """The stored first answer to this owner's Idempotency-Key, if any."""
        ...


class Figures(Protocol):
    """The ledger read for a bureau: a preview of a decision, and what it sent."""

    def peek(self, owner: str, figures: Sequence[Figure], decide: Decide) -> Decision:
        """Decide against what the ledger holds without keeping anything (a preview)."""
        ...

    def history(self, owner: str) -> list[bytes]:
        """The event bytes of every figure ``owner`` sent, every vintage, in ledger order."""
        ...


class Outbox(Protocol):
    """The ledger seen from the relay: rows in ledger order, acknowledged as they reach Kafka."""

    def pending(self, limit: int) -> list[OutboxRow]:
        """Up to ``limit`` rows not yet acknowledged, in ledger order."""
        ...

    def acknowledge(self, rows: Sequence[OutboxRow]) -> None:
        """These rows (a prefix of ``pending``) are on the broker."""
        ...

    def backlog(self) -> int:
        """How many rows are still to publish."""
        ...


class LedgerStore(Ledger, Figures, Outbox, Protocol):
    """One ledger as all three ports, as an adapter implements it."""

    def close(self) -> None: ...


class EventPublisher(Protocol):
    """Produces outbox rows to the submissions topic."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def reachable(self) -> bool:
        """Whether the broker answers now (readiness)."""
        ...

    async def publish(self, rows: Sequence[OutboxRow]) -> set[int]:
        """Produce in order with acks=all; the seqs the broker acknowledged (may be fewer)."""
        ...
