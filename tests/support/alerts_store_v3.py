"""The alert store as released with schema version 3, before Alembic, kept verbatim.

It makes the databases the current ``planwatch_alerts.store.make_engine`` must adopt (version 3,
rows intact) or, for older versions, move aside (SQLite) or refuse (a DSN). Do not edit it to
follow the current tables: it is the old release.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

__all__ = [
    "SCHEMA_VERSION",
    "UTCDateTime",
    "alerts",
    "items",
    "make_engine",
    "metadata",
    "notifications",
    "responses",
    "seen",
]

log = logging.getLogger("planwatch.alerts.store")

# Raise when a table changes: an older database is moved aside (SQLite) or refused (a DSN).
SCHEMA_VERSION = 3


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite (which stores them naive)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


metadata = sa.MetaData()

schema = sa.Table("alerts_schema", metadata, sa.Column("version", sa.Integer, nullable=False))

seen = sa.Table("seen_events", metadata, sa.Column("event_id", sa.String(64), primary_key=True))

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_key", sa.String(400), nullable=False, index=True),  # indicator|jur|type
    sa.Column("type", sa.String(16), nullable=False),  # offtrack | overdue
    sa.Column("indicator_id", sa.String(200), nullable=False, index=True),
    sa.Column("jurisdiction", sa.String(100), nullable=False, index=True),
    sa.Column("plan_code", sa.String(50), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),  # open|acknowledged|…
    sa.Column("agencies", sa.JSON, nullable=False),  # addressed (lead) agencies
    sa.Column("copied", sa.JSON, nullable=False),  # co-responsible agencies
    sa.Column("snapshot", sa.JSON, nullable=False),  # the status change that opened/updated it
    # the routing decisions frozen when the alert opened: later edits of the YAML change new
    # alerts, not the timing of one already running
    sa.Column("routes", sa.JSON, nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("acked_by", sa.String(200)),
    sa.Column("acked_at", UTCDateTime),
    sa.Column("ack_comment", sa.Text),
    sa.Column("silenced_until", UTCDateTime),
    sa.Column("silenced_by", sa.String(200)),
    sa.Column("silence_reason", sa.Text),
    sa.Column("last_notified_at", UTCDateTime),
    sa.Column("next_repeat_at", UTCDateTime, index=True),
    sa.Column("escalate_at", UTCDateTime, index=True),
    sa.Column("escalated_at", UTCDateTime),
)

# Something to tell a receiver about an alert, waiting to be grouped into a digest.
items = sa.Table(
    "pending_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # firing | resolved | repeat | escalation
    sa.Column("receiver", sa.String(200), nullable=False),  # "agency:<name>" or a receiver name
    sa.Column("group_key", sa.String(400), nullable=False, index=True),
    sa.Column("group_wait_s", sa.Float, nullable=False),
    sa.Column("group_interval_s", sa.Float, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("digest", sa.String(64), index=True),  # set when grouped into a notification
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # one per (digest, channel, destination): the outbox never holds the same delivery twice
    sa.Column("dedup_key", sa.String(64), nullable=False, unique=True),
    sa.Column("digest", sa.String(64), nullable=False, index=True),
    sa.Column("group_key", sa.String(400), nullable=False, index=True),
    sa.Column("receiver", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # email | apprise
    sa.Column("to", sa.JSON, nullable=False),  # e-mail addresses, or the one apprise URL
    sa.Column("cc", sa.JSON, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # plain text
    sa.Column("html", sa.Text),  # the same digest as HTML (the e-mail's alternative part)
    sa.Column("alert_ids", sa.JSON, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),  # pending|sending|sent|failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("message_id", sa.String(200), nullable=False),
)

# An agency's answer to an alert, given through the signed link of a notification: it
# acknowledges and states its measures (整改措施) with an expected recovery date, or disputes the
# figure with a reason. ``link_nonce`` is the link's own id: one link gives one answer.
responses = sa.Table(
    "responses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("agency", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # acknowledge | dispute
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("expected_recovery", sa.Date),
    sa.Column("link_nonce", sa.String(64), nullable=False, unique=True),
)


def _sqlite_path(url: str) -> Path | None:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _version(engine: sa.Engine) -> int | None:
    """The stored schema version; 0 for tables of an unversioned release, None when empty."""
    names = set(sa.inspect(engine).get_table_names())
    if "alerts" not in names:
        return None
    if "alerts_schema" not in names:
        return 0
    with engine.connect() as c:
        return c.execute(sa.select(schema.c.version)).scalar() or 0


def _immediate_transactions(engine: sa.Engine) -> None:
    """SQLite: take the write lock at BEGIN.

    The consumer, the dispatcher and API requests write from different threads; with the
    default deferred BEGIN a transaction that read first and writes second fails at once with
    "database is locked" when another one committed in between, instead of waiting its turn.
    """

    @sa.event.listens_for(engine, "connect")
    def _connect(conn: Any, _record: Any) -> None:
        conn.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN itself
        conn.execute("pragma journal_mode=wal")
        conn.execute("pragma synchronous=full")
        conn.execute("pragma busy_timeout=30000")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> sa.Engine:
    """An engine on ``url`` with the current tables.

    A SQLite file made by an older schema is renamed to ``<name>.v<version>-<time>`` (its alerts
    would be re-opened by the next status changes); a server database of an older schema is
    refused, so nobody loses history without deciding to.
    """
    engine = sa.create_engine(url)
    path = _sqlite_path(url)
    if url.startswith("sqlite"):
        _immediate_transactions(engine)
    found = _version(engine)
    if found is not None and found != SCHEMA_VERSION:
        engine.dispose()
        if path is None:
            raise RuntimeError(
                f"db_url: the alerts tables have schema version {found}, this release needs "
                f"{SCHEMA_VERSION}; migrate or drop them"
            )
        moved = path.with_name(f"{path.name}.v{found}-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{path}{suffix}")
            if old.exists():
                old.rename(Path(f"{moved}{suffix}"))
        log.warning("alerts database of schema %s moved aside to %s", found, moved)
        return make_engine(url)
    metadata.create_all(engine)
    if found is None:
        with engine.begin() as c:
            c.execute(schema.insert().values(version=SCHEMA_VERSION))
    return engine
