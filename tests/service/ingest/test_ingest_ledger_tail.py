"""The SQLite ledger's rows still to publish, from memory or from the table: the same rows.

The ledger keeps the rows committed since the publish cursor in memory (a bounded tail) so
the relay does not read back what was just written; here every answer of ``pending`` is
compared with what the outbox table holds, across a tail that overflows, acknowledgements,
a failed write and a restart.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from planwatch_ingest.adapters.sqlite_ledger import SqliteLedger
from planwatch_ingest.ports import LedgerBroken, OutboxRow
from planwatch_ingest.rules import rules_for
from planwatch_ingest.validation import Validator
from support.ingest import record_rows, test_catalog

INDICATORS = ["tcity-rd-spend", "tcity-firms", "tcity-talent"]


@pytest.fixture
def validator(tmp_path: Path) -> Validator:
    return Validator(rules_for(test_catalog(tmp_path / "catalog")))


def record(ledger: SqliteLedger, validator: Validator, value: float, period: str) -> list[str]:
    rows: list[dict[str, object]] = [
        {"indicator_id": i, "period": period, "value": value} for i in INDICATORS
    ]
    decision = record_rows(ledger, validator, rows, received_at="2024-01-01")
    return [e.event_id for e in decision.events]


def in_table(path: Path, after: int, limit: int) -> list[OutboxRow]:
    conn = sqlite3.connect(str(path))
    try:
        found = conn.execute(
            "SELECT seq, event_id, key, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        ).fetchall()
    finally:
        conn.close()
    return [OutboxRow(s, e, bytes(k), bytes(p)) for s, e, k, p in found]


def drain(ledger: SqliteLedger, path: Path, limit: int, after: int) -> list[OutboxRow]:
    """Publish everything past seq ``after`` round by round as the relay does, checking each."""
    published: list[OutboxRow] = []
    while rows := ledger.pending(limit):
        assert rows == in_table(path, after, limit)
        published.extend(rows)
        ledger.acknowledge(rows)
        after = rows[-1].seq
    return published


@pytest.mark.parametrize("tail_rows", [1, 4, 50_000])
def test_pending_answers_what_the_table_holds(
    tmp_path: Path, validator: Validator, tail_rows: int
) -> None:
    path = tmp_path / "ledger.db"
    ledger = SqliteLedger(path, tail_rows=tail_rows)
    try:
        ids = record(ledger, validator, 1.0, "2021") + record(ledger, validator, 2.0, "2021")
        assert ledger.backlog() == 6
        first = ledger.pending(4)
        assert first == in_table(path, 0, 4)
        ledger.acknowledge(first[:2])
        ids += record(ledger, validator, 3.0, "2022")  # appended while the relay is behind
        assert ledger.backlog() == 7
        published = first[:2] + drain(ledger, path, 2, after=2)
        assert [row.event_id for row in published] == ids
        assert [row.seq for row in published] == list(range(1, 10))
        assert ledger.backlog() == 0 and ledger.pending(10) == []
        ids += record(ledger, validator, 4.0, "2022")
        assert [row.event_id for row in drain(ledger, path, 10, after=9)] == ids[9:]
    finally:
        ledger.close()


class FailingCommit:
    """The ledger's connection, refusing every COMMIT (a full disk, say)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def test_a_failed_write_leaves_nothing_to_publish(tmp_path: Path, validator: Validator) -> None:
    path = tmp_path / "ledger.db"
    ledger = SqliteLedger(path)
    try:
        kept = record(ledger, validator, 1.0, "2021")
        conn = ledger._conn
        ledger._conn = FailingCommit(conn)  # type: ignore[assignment]
        with pytest.raises(LedgerBroken):
            record(ledger, validator, 2.0, "2021")
        ledger._conn = conn
        assert [row.event_id for row in ledger.pending(10)] == kept
        assert ledger.backlog() == 3
        kept += record(ledger, validator, 3.0, "2021")
        published = drain(ledger, path, 10, after=0)
        assert [row.event_id for row in published] == kept
        assert [row.seq for row in published] == list(range(1, 7))
    finally:
        ledger.close()


def test_after_a_restart_the_table_is_read_then_the_tail(
    tmp_path: Path, validator: Validator
) -> None:
    path = tmp_path / "ledger.db"
    ledger = SqliteLedger(path)
    ids = record(ledger, validator, 1.0, "2021") + record(ledger, validator, 2.0, "2021")
    ledger.acknowledge(ledger.pending(2))
    ledger.close()
    reopened = SqliteLedger(path)
    try:
        assert reopened.backlog() == 4
        ids += record(reopened, validator, 3.0, "2021")
        published = drain(reopened, path, 3, after=2)
        assert [row.event_id for row in published] == ids[2:]
        assert reopened.backlog() == 0
    finally:
        reopened.close()


def test_a_request_of_more_rows_than_one_statement_takes(
    tmp_path: Path, validator: Validator
) -> None:
    path = tmp_path / "ledger.db"
    ledger = SqliteLedger(path)
    ledger._insert_rows = 2  # three events: a statement of two rows, then one of one
    try:
        ids = record(ledger, validator, 1.0, "2021")
        published = drain(ledger, path, 10, after=0)
        assert [row.event_id for row in published] == ids
        assert [row.seq for row in published] == [1, 2, 3]
    finally:
        ledger.close()
