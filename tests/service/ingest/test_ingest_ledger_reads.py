"""The portal's two ledger reads (preview, history) on the SQLite ledger and the in-memory fake.

The same checks run on PostgreSQL in tests/integration/ingest/test_ingest_postgres.py.
"""

from __future__ import annotations

from pathlib import Path

from planwatch_ingest.adapters.memory_ledger import MemoryLedger
from planwatch_ingest.adapters.sqlite_ledger import SqliteLedger
from planwatch_ingest.rules import rules_for
from planwatch_ingest.validation import Validator
from support.ingest import test_catalog
from support.ledger_reads import CITY_KEY, check_preview_and_history


def test_sqlite_ledger_previews_without_keeping_and_gives_each_owner_its_history(
    tmp_path: Path,
) -> None:
    validator = Validator(rules_for(test_catalog(tmp_path / "catalog")))
    ledger = SqliteLedger(tmp_path / "ledger.db")
    try:
        check_preview_and_history(ledger, validator)
        sent = ledger.history(CITY_KEY.owner)
    finally:
        ledger.close()
    reopened = SqliteLedger(tmp_path / "ledger.db")  # the history is on disk, not in memory
    try:
        assert reopened.history(CITY_KEY.owner) == sent and len(sent) == 4
    finally:
        reopened.close()


def test_memory_ledger_previews_and_reads_history_like_the_durable_ones(tmp_path: Path) -> None:
    validator = Validator(rules_for(test_catalog(tmp_path / "catalog")))
    check_preview_and_history(MemoryLedger(), validator)
