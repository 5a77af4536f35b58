"""The ledger in SQLite (WAL, synchronous=FULL): a request's figures are on disk before its 202.

Tables: ``outbox`` holds every accepted figure (every vintage, never updated) as the event to
publish, in publishing order; ``client_aliases`` maps a bureau's submission id to an earlier
figure it repeated; ``idempotency`` keeps the first answer per Idempotency-Key; ``state`` the
publish cursor. The tables are append-only (random-key indexes would make every commit write
hundreds of scattered pages); the lookups by series and by submission id are kept in memory and
rebuilt from the outbox at start. One process per ledger file (a lock file enforces it); one
connection, guarded by a lock: the service calls it from one worker thread, and a request is
decided and appended under that lock, so requests see each other's figures in order.

The relay reads what was just appended: the rows committed past the publish cursor are also
kept in memory (the newest ``tail_rows``), and ``pending`` answers from there while they follow
the cursor without a gap, else from the table (after a restart, or when the broker was away
long enough for the backlog to outgrow the tail). Reading the table back costs a GIL hand-off
per row in the sqlite3 module, each a wait for the busy event loop thread.

A series names its period by the canonical label (``Period.canonical``). Figures kept before
periods were made canonical may name one under another label (``2025-12`` for ``2025``): the
rebuild files them under the canonical series that ``canonical`` gives, the highest vintage
being the latest (the later one on a tie), as the evaluator keeps them.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from planwatch_ingest.outcomes import Decision, Known
from planwatch_ingest.ports import (
    AlreadyAnswered,
    Decide,
    LedgerBroken,
    OutboxRow,
    Render,
    StoredResponse,
)
from planwatch_ingest.validation import Figure

__all__ = ["SqliteLedger"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    key BLOB NOT NULL,
    payload BLOB NOT NULL,
    series TEXT NOT NULL,
    vintage INTEGER NOT NULL,
    value REAL NOT NULL,
    owner TEXT NOT NULL,
    client_id TEXT,
    key_id TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS client_aliases (
    owner TEXT NOT NULL,
    client_id TEXT NOT NULL,
    event_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (owner, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


_OUTBOX_INSERT = (
    "INSERT INTO outbox (event_id, key, payload, series, vintage, value, owner, client_id, "
    "key_id, received_at) VALUES "
)
_OUTBOX_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_OUTBOX_COLUMNS = 10
# Rows per INSERT statement (the last one of a request takes the rest).
_INSERT_ROWS = 500


class LedgerInUse(RuntimeError):
    """Another process has the ledger open: one ingest process per ledger file."""


class SqliteLedger:
    def __init__(
        self,
        path: Path,
        *,
        canonical: Callable[[str], str] | None = None,
        tail_rows: int = 50_000,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = (path.parent / (path.name + ".lock")).open("w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise LedgerInUse(f"{path} is used by another ingest process") from None
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsync'd at every commit, so a 202 survives a power cut.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        # as many rows per statement as SQLite takes parameters for (32766 by default)
        variables = self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._insert_rows = max(1, min(_INSERT_ROWS, variables // _OUTBOX_COLUMNS))
        self._inserts: dict[int, str] = {}
        self._lock = threading.Lock()
        self._latest: dict[str, Known] = {}
        self._by_client: dict[tuple[str, str], Known] = {}
        self._answered: set[tuple[str, str]] = set()  # idempotency keys with a stored answer
        self._canonical = canonical
        self._load_index()
        # Only this process writes the file: the last seq and the cursor are known in memory.
        self._last_seq = int(self._conn.execute("SELECT max(seq) FROM outbox").fetchone()[0] or 0)
        self._acked = self._read_cursor()
        # committed rows past the cursor, consecutive seqs, at most ``tail_rows`` (the newest)
        self._tail: deque[OutboxRow] = deque()
        self._tail_rows = tail_rows

    def _load_index(self) -> None:
        """Every table is append-only; the lookups live in memory, rebuilt here at start."""
        by_event: dict[str, Known] = {}
        rows = self._conn.execute(
            "SELECT series, vintage, value, event_id, owner, client_id FROM outbox ORDER BY seq"
        )
        canonical = self._canonical
        latest = self._latest
        for series, vintage, value, event_id, owner, client_id in rows:
            if canonical is not None:
                series = canonical(series)
            known = Known(series, vintage, value, event_id)
            previous = latest.get(series)
            if previous is None or vintage >= previous.vintage:
                latest[series] = known
            if client_id is not None:
                self._by_client[(owner, client_id)] = known
                by_event[event_id] = known
        self._answered.update(self._conn.execute("SELECT owner, key FROM idempotency"))
        aliases = self._conn.execute("SELECT owner, client_id, event_id FROM client_aliases")
        for owner, client_id, event_id in aliases:
            alias = by_event.get(event_id) or self._known_by_event(event_id)
            if alias is not None:
                self._by_client.setdefault((owner, client_id), alias)

    def _known_by_event(self, event_id: str) -> Known | None:
        row = self._conn.execute(
            "SELECT series, vintage, value, event_id FROM outbox WHERE event_id = ?", (event_id,)
        ).fetchone()
        if row is None:
            return None
        series = row[0] if self._canonical is None else self._canonical(row[0])
        return Known(series, *row[1:])

    def _named(self, owner: str, figures: Sequence[Figure]) -> dict[str, Known]:
        by_client = self._by_client
        named: dict[str, Known] = {}
        if by_client:
            for f in figures:
                if f.submission_id is not None and (owner, f.submission_id) in by_client:
                    named[f.submission_id] = by_client[(owner, f.submission_id)]
        return named

    def peek(self, owner: str, figures: Sequence[Figure], decide: Decide) -> Decision:
        """What ``record`` would decide now, keeping nothing (a preview)."""
        with self._lock:
            return decide(self._latest, self._named(owner, figures))

    def history(self, owner: str) -> list[bytes]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT payload FROM outbox WHERE owner = ? ORDER BY seq", (owner,)
            ).fetchall()
        return [bytes(row[0]) for row in rows]

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
        """Decide against the in-memory lookups, append the events, then update the lookups.

        The append is one transaction, fsync'd when this returns; the lookups change only after
        it committed, so a failed write leaves nothing behind (LedgerBroken, 503).
        """
        with self._lock:
            if idempotency is not None and (owner, idempotency[0]) in self._answered:
                raise AlreadyAnswered(idempotency[0])
            by_client = self._by_client
            decision = decide(self._latest, self._named(owner, figures))
            if decision.errors:
                return decision
            answer = render(decision) if render is not None else None
            self._keep(self._append(owner, decision, key_id, idempotency, answer))
            self._latest.update(decision.known)
            for e in decision.events:
                if e.client_submission_id is not None:
                    by_client[(owner, e.client_submission_id)] = decision.known[e.series]
            for cid, known in decision.aliases:
                by_client.setdefault((owner, cid), known)
            if idempotency is not None and answer is not None:
                self._answered.add((owner, idempotency[0]))
            return decision

    def _append(
        self,
        owner: str,
        decision: Decision,
        key_id: str,
        idempotency: tuple[str, str] | None,
        answer: tuple[int, bytes] | None,
    ) -> list[OutboxRow]:
        """Append the decision's events in one transaction; their outbox rows once committed."""
        now = datetime.now(UTC).isoformat()
        conn = self._conn
        events = decision.events
        step = self._insert_rows
        try:
            conn.execute("BEGIN IMMEDIATE")
            # Many rows per statement rather than executemany: the sqlite3 module lets go of
            # the GIL around every statement step, and taking it back waits for the event loop
            # thread to yield it (up to the 5 ms switch interval) when that thread is busy.
            for start in range(0, len(events), step):
                part = events[start : start + step]
                values: list[object] = []
                for e in part:
                    values += (
                        e.event_id,
                        e.key,
                        e.payload,
                        e.series,
                        e.vintage,
                        e.value,
                        owner,
                        e.client_submission_id,
                        key_id,
                        now,
                    )
                conn.execute(self._insert(len(part)), values)
            # one writer, one transaction: its rows took consecutive seqs up to the last
            last = conn.execute("SELECT last_insert_rowid()").fetchone()[0] if events else 0
            if decision.aliases:
                conn.executemany(
                    "INSERT INTO client_aliases VALUES (?, ?, ?)",
                    [(owner, cid, known.event_id) for cid, known in decision.aliases],
                )
            if idempotency is not None and answer is not None:
                conn.execute(
                    "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                    (owner, idempotency[0], idempotency[1], answer[0], answer[1], now),
                )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise LedgerBroken(repr(exc)) from exc
        if not events:
            return []
        self._last_seq = last
        first = last - len(events) + 1
        return [OutboxRow(seq, e.event_id, e.key, e.payload) for seq, e in enumerate(events, first)]

    def _keep(self, rows: list[OutboxRow]) -> None:
        """Add committed rows to the tail, dropping its oldest past ``tail_rows``."""
        tail = self._tail
        if rows and tail and tail[-1].seq + 1 != rows[0].seq:
            tail.clear()  # a gap (a failed commit that wrote rows after all?): read the table
        tail.extend(rows)
        while len(tail) > self._tail_rows:
            tail.popleft()

    def _insert(self, rows: int) -> str:
        """The INSERT of ``rows`` outbox rows (the same text each time: a cached statement)."""
        sql = self._inserts.get(rows)
        if sql is None:
            sql = self._inserts[rows] = _OUTBOX_INSERT + ", ".join([_OUTBOX_ROW] * rows)
        return sql

    def _stored(self, owner: str, idempotency_key: str) -> StoredResponse | None:
        row = self._conn.execute(
            "SELECT request_sha256, status, body FROM idempotency WHERE owner = ? AND key = ?",
            (owner, idempotency_key),
        ).fetchone()
        return StoredResponse(row[0], row[1], bytes(row[2])) if row else None

    def replay(self, owner: str, idempotency_key: str) -> StoredResponse | None:
        with self._lock:
            return self._stored(owner, idempotency_key)

    def pending(self, limit: int) -> list[OutboxRow]:
        with self._lock:
            tail, after = self._tail, self._acked
            if tail and tail[0].seq <= after + 1:
                start = after + 1 - tail[0].seq
                return list(islice(tail, start, start + limit))
            rows = self._conn.execute(
                "SELECT seq, event_id, key, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            ).fetchall()
        return [
            OutboxRow(seq, event_id, bytes(key), bytes(payload))
            for seq, event_id, key, payload in rows
        ]

    def _read_cursor(self) -> int:
        """Seq of the last event the broker acknowledged (0: none)."""
        row = self._conn.execute("SELECT value FROM state WHERE name = 'cursor'").fetchone()
        return int(row[0]) if row else 0

    def acknowledge(self, rows: Sequence[OutboxRow]) -> None:
        """Advance the publish cursor over these rows (a prefix of ``pending``)."""
        if not rows:
            return
        with self._lock:
            self._conn.execute(
                "INSERT INTO state VALUES ('cursor', ?) "
                "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)",
                (rows[-1].seq,),
            )
            self._acked = max(self._acked, rows[-1].seq)
            tail = self._tail
            while tail and tail[0].seq <= self._acked:
                tail.popleft()

    def backlog(self) -> int:
        with self._lock:
            return max(0, self._last_seq - self._acked)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._lock_file.close()
