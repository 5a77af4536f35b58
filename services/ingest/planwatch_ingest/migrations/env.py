"""Alembic environment of the ingest ledger on PostgreSQL.

Run by ``PostgresLedger`` at start (``upgrade head``), under an advisory lock so that replicas
starting together migrate once; the version is kept in its own table, so the ingest ledger can
share a database with other services' migrations.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

VERSION_TABLE = "ingest_alembic_version"
MIGRATION_LOCK = 0x706C616E_696E6731  # "planing1": one migrating replica at a time


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as connection:
            _migrate(connection)
        engine.dispose()
    else:
        _migrate(connection)


def _migrate(connection: sa.Connection) -> None:
    """Migrate holding the session's lock, which is let go only once the migration committed
    (or rolled back): the next replica then finds the schema done, never half done."""
    connection.execute(sa.select(sa.func.pg_advisory_lock(MIGRATION_LOCK)))
    connection.commit()  # the lock is the session's: it outlives this transaction
    try:
        context.configure(connection=connection, version_table=VERSION_TABLE)
        with context.begin_transaction():  # its own transaction, committed when it ends
            context.run_migrations()
    finally:
        connection.rollback()  # nothing, or what a failed migration left
        connection.execute(sa.select(sa.func.pg_advisory_unlock(MIGRATION_LOCK)))
        connection.commit()


run()
