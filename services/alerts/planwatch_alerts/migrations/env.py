"""Alembic environment of the alert store, on SQLite or PostgreSQL.

Run by ``planwatch_alerts.store.make_engine`` at start (``upgrade head``). Looking at the
database and migrating it happen in one transaction that first takes a lock, so replicas
starting together migrate once: on PostgreSQL a transaction-level advisory lock (released by
the commit, after the new tables are visible), on SQLite the write lock of ``BEGIN IMMEDIATE``.
The version is kept in its own table (``alerts_alembic_version``), so the alert store can share
a database with the ingest ledger and the key store.

A database made before Alembic at schema version 3 is stamped at revision 0001, which makes the
same tables, and then migrated on; an older one raises ``OlderSchema``.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.script import ScriptDirectory

from planwatch_alerts.store import (
    ADOPTED_REVISION,
    LEGACY_VERSION,
    MIGRATION_LOCK,
    VERSION_TABLE,
    OlderSchema,
    legacy_version,
    metadata,
    new_engine,
)

log = logging.getLogger("planwatch.alerts.store")


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # the alembic command line, with sqlalchemy.url
        engine = new_engine(context.config.get_main_option("sqlalchemy.url") or "")
        try:
            with engine.connect() as connection:
                _migrate(connection)
        finally:
            engine.dispose()
    else:
        _migrate(connection)


def _ours(name: str | None, kind: str, _parents: Any) -> bool:
    return kind != "table" or name in metadata.tables


def _migrate(connection: sa.Connection) -> None:
    if connection.in_transaction():
        connection.commit()  # the lock must come first in the transaction that migrates
    with connection.begin():  # SQLite: BEGIN IMMEDIATE, the write lock
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        context.configure(
            connection=connection,
            version_table=VERSION_TABLE,
            target_metadata=metadata,
            include_name=_ours,  # autogenerate: leave the other services' tables alone
        )
        found = legacy_version(connection)
        if found == LEGACY_VERSION:
            script = ScriptDirectory.from_config(context.config)
            context.get_context().stamp(script, ADOPTED_REVISION)
            log.info("alerts database of schema %s adopted at %s", found, ADOPTED_REVISION)
        elif found is not None:
            raise OlderSchema(found)
        context.run_migrations()


run()
