"""The ledger in memory: the fake of the ``Ledger`` and ``Outbox`` ports (tests, examples).

Same decisions as the durable ledgers (it runs the same ``decide``), nothing kept on disk.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from planwatch_ingest.outcomes import Decision, Known
from planwatch_ingest.ports import AlreadyAnswered, Decide, OutboxRow, Render, StoredResponse
from planwatch_ingest.validation import Figure

__all__ = ["MemoryLedger"]


class MemoryLedger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, Known] = {}
        self._by_client: dict[tuple[str, str], Known] = {}
        self._answers: dict[tuple[str, str], StoredResponse] = {}
        self.rows: list[OutboxRow] = []
        self._owners: list[str] = []  # who sent each row
        self.cursor = 0  # rows[:cursor] are on the broker

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
        with self._lock:
            if idempotency is not None and (owner, idempotency[0]) in self._answers:
                raise AlreadyAnswered(idempotency[0])
            named = {
                f.submission_id: self._by_client[(owner, f.submission_id)]
                for f in figures
                if f.submission_id is not None and (owner, f.submission_id) in self._by_client
            }
            decision = decide(self._latest, named)
            if decision.errors:
                return decision
            answer = render(decision) if render is not None else None
            for e in decision.events:
                self.rows.append(OutboxRow(len(self.rows) + 1, e.event_id, e.key, e.payload))
                self._owners.append(owner)
                if e.client_submission_id is not None:
                    self._by_client[(owner, e.client_submission_id)] = decision.known[e.series]
            self._latest.update(decision.known)
            for cid, known in decision.aliases:
                self._by_client.setdefault((owner, cid), known)
            if idempotency is not None and answer is not None:
                self._answers[(owner, idempotency[0])] = StoredResponse(idempotency[1], *answer)
            return decision

    def peek(self, owner: str, figures: Sequence[Figure], decide: Decide) -> Decision:
        with self._lock:
            named = {
                f.submission_id: self._by_client[(owner, f.submission_id)]
                for f in figures
                if f.submission_id is not None and (owner, f.submission_id) in self._by_client
            }
            return decide(self._latest, named)

    def history(self, owner: str) -> list[bytes]:
        with self._lock:
            return [
                row.payload
                for row, who in zip(self.rows, self._owners, strict=True)
                if who == owner
            ]

    def replay(self, owner: str, idempotency_key: str) -> StoredResponse | None:
        with self._lock:
            return self._answers.get((owner, idempotency_key))

    def pending(self, limit: int) -> list[OutboxRow]:
        with self._lock:
            return self.rows[self.cursor : self.cursor + limit]

    def acknowledge(self, rows: Sequence[OutboxRow]) -> None:
        with self._lock:
            if rows:
                self.cursor = max(self.cursor, rows[-1].seq)

    def backlog(self) -> int:
        with self._lock:
            return len(self.rows) - self.cursor

    def close(self) -> None:
        return None
