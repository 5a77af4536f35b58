"""The adapters behind the ingest ports; ``open_ledger`` picks the ledger a setting names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planwatch_ingest.ports import LedgerStore
    from planwatch_ingest.settings import Settings

__all__ = ["open_ledger"]


def open_ledger(settings: Settings, canonical: Callable[[str], str] | None = None) -> LedgerStore:
    """The ledger of ``ledger_url``: PostgreSQL, SQLite or memory; else the SQLite file."""
    url = settings.ledger_url or None  # an empty value (a copied .env.example) is no value
    if url is None or url.startswith("sqlite:"):
        from pathlib import Path

        from planwatch_ingest.adapters.sqlite_ledger import SqliteLedger

        path = settings.ledger_file() if url is None else Path(url.split(":///", 1)[1])
        return SqliteLedger(path, canonical=canonical)
    if url.startswith("memory:"):
        from planwatch_ingest.adapters.memory_ledger import MemoryLedger

        return MemoryLedger()
    if url.startswith(("postgresql:", "postgresql+psycopg:", "postgres:")):
        from planwatch_ingest.adapters.postgres_ledger import PostgresLedger

        return PostgresLedger(url, canonical=canonical)
    raise ValueError(
        f"PLANWATCH_INGEST_LEDGER_URL: {url.split(':', 1)[0]!r} is not a ledger"
        " (postgresql://, sqlite:/// or memory://)"
    )
