"""Alert state and the notification outbox, in SQL (SQLite by default, PostgreSQL by URL).

Everything the service knows survives a restart: which events were handled, each alert's
lifecycle, the items waiting to be grouped, every notification with its delivery state, and the
answers agencies gave through the links of their notifications.
A notification row is one delivery on one channel (an e-mail with its To and Cc, or one apprise
URL), so a retry on one channel never resends on another.

The tables are made and changed by the Alembic migrations next to this module
(``planwatch_alerts/migrations``, version table ``alerts_alembic_version``), applied by
``make_engine`` one process at a time, so several alerts replicas can share one PostgreSQL
database. A table changed here needs a migration; a test compares the two.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ADOPTED_REVISION",
    "CHASE",
    "ESCALATED_CHASE",
    "LEGACY_VERSION",
    "MIGRATIONS",
    "MIGRATION_LOCK",
    "VERSION_TABLE",
    "OlderSchema",
    "UTCDateTime",
    "alert_row",
    "alerts",
    "chase_key",
    "first_sight",
    "insert",
    "items",
    "legacy_version",
    "make_engine",
    "metadata",
    "migrate",
    "new_engine",
    "notifications",
    "responses",
    "seen",
    "supervising",
    "update_alert",
]

log = logging.getLogger("planwatch.alerts.store")

VERSION_TABLE = "alerts_alembic_version"  # its own table: the database may be shared
MIGRATION_LOCK = 0x706C616E_616C7274  # "planalrt": one migrating process at a time (PostgreSQL)
MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's ``context`` and ``op`` are module globals: one migration per process at a time (the
# lock in ``migrations/env.py`` orders the processes).
_in_process = threading.Lock()

# Before Alembic the version was a number in the table ``alerts_schema``. A database of the last
# such version is adopted: it is stamped at the migration that makes the same tables. An older one
# is moved aside (SQLite: its alerts are re-opened by the next status changes) or refused (a DSN).
LEGACY_VERSION = 3
ADOPTED_REVISION = "0001"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite (which stores them naive)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


metadata = sa.MetaData()

# the version table before Alembic (dropped by migration 0002): read only to adopt a database
_legacy = sa.Table("alerts_schema", sa.MetaData(), sa.Column("version", sa.Integer, nullable=False))

seen = sa.Table("seen_events", metadata, sa.Column("event_id", sa.String(64), primary_key=True))

# The endings of the keys of a chase (the publisher of a figure overdue is asked for it) and of
# the alert that tells the supervising body once the figure is long overdue; both keys start with
# the same ``indicator|jurisdiction``.
CHASE = "|overdue"
ESCALATED_CHASE = "|overdue-escalated"


def supervising(alert_key: str) -> bool:
    """Whether the alert of ``alert_key`` tells the supervising body of a long-overdue figure."""
    return alert_key.endswith(ESCALATED_CHASE)


def chase_key(alert_key: str) -> str:
    """The key of the chase that the supervising alert of ``alert_key`` escalates."""
    return alert_key.removesuffix(ESCALATED_CHASE) + CHASE


alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_key", sa.String(400), nullable=False, index=True),  # indicator|jur|type
    sa.Column("type", sa.String(16), nullable=False),  # offtrack | overdue
    sa.Column("indicator_id", sa.String(200), nullable=False),
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
    # the alerts of one (indicator, jurisdiction): looked up for every status change
    sa.Index("ix_alerts_indicator_jurisdiction", "indicator_id", "jurisdiction"),
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


# The statements every status change runs, built once: building an expression and working out
# its cache key costs several times what the database takes to run it. An update's SET clause
# is the columns named in its parameters.
_ALERT = sa.select(alerts).where(alerts.c.id == sa.bindparam("alert_id_"))
_UPDATE_ALERT = alerts.update().where(alerts.c.id == sa.bindparam("alert_id_"))
_SEEN = sa.select(seen.c.event_id).where(seen.c.event_id == sa.bindparam("event_id_"))


def alert_row(c: sa.Connection, alert_id: int) -> Any:
    """The alert row ``alert_id`` (it must exist)."""
    return c.execute(_ALERT, {"alert_id_": alert_id}).one()


def update_alert(c: sa.Connection, alert_id: int, **values: Any) -> None:
    """Set ``values`` (column: value) on the alert ``alert_id``."""
    c.execute(_UPDATE_ALERT, {"alert_id_": alert_id, **values})


def insert(c: sa.Connection, table: sa.Table, **values: Any) -> Any:
    """Insert one row; its primary key (the statement is the table's plain INSERT)."""
    return c.execute(table.insert(), values).inserted_primary_key[0]  # type: ignore[index]


def first_sight(c: sa.Connection, event_id: str) -> bool:
    """Record ``event_id`` as handled; False when it was handled before."""
    if c.execute(_SEEN, {"event_id_": event_id}).first() is not None:
        return False
    c.execute(seen.insert(), {"event_id": event_id})
    return True


class OlderSchema(Exception):
    """The database holds alerts tables of a version before ``LEGACY_VERSION``."""

    def __init__(self, version: int) -> None:
        super().__init__(f"alerts tables of schema version {version}")
        self.version = version


def legacy_version(connection: sa.Connection) -> int | None:
    """The schema version of a database made before Alembic; None when Alembic keeps it (or the
    database is empty). 0 stands for the tables of a release that kept no version at all."""
    names = set(sa.inspect(connection).get_table_names())
    if VERSION_TABLE in names or "alerts" not in names:
        return None
    if _legacy.name not in names:
        return 0
    return connection.execute(sa.select(_legacy.c.version)).scalar() or 0


def _sqlite_path(url: str) -> Path | None:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _immediate_transactions(engine: sa.Engine) -> None:
    """SQLite: take the write lock at BEGIN.

    The consumer, the dispatcher and API requests write from different threads; with the
    default deferred BEGIN a transaction that read first and writes second fails at once with
    "database is locked" when another one committed in between, instead of waiting its turn.
    It also makes the migrations of two processes on one file run one after the other.
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


def new_engine(url: str) -> sa.Engine:
    """An engine on ``url``, as the store uses it, without touching the tables."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        _immediate_transactions(engine)
    return engine


def migrate(engine: sa.Engine) -> None:
    """Bring the tables to the latest migration (Alembic ``upgrade head``).

    The migration environment adopts a database of ``LEGACY_VERSION`` and raises ``OlderSchema``
    for an older one; it holds a lock while it looks and migrates (``migrations/env.py``).
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _in_process, engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def make_engine(url: str) -> sa.Engine:
    """An engine on ``url`` with the current tables.

    A SQLite file made by a schema older than ``LEGACY_VERSION`` is renamed to
    ``<name>.v<version>-<time>`` (its alerts would be re-opened by the next status changes); a
    server database of such a schema is refused, so nobody loses history without deciding to.
    A database migrated by a newer release (a revision this one does not know) is refused too.
    """
    from alembic.util import CommandError

    engine = new_engine(url)
    try:
        migrate(engine)
    except OlderSchema as older:
        engine.dispose()
        path = _sqlite_path(url)
        if path is None:
            raise RuntimeError(
                f"db_url: the alerts tables have schema version {older.version}, this release "
                f"adopts version {LEGACY_VERSION} or a database it migrated; migrate or drop them"
            ) from None
        moved = path.with_name(f"{path.name}.v{older.version}-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{path}{suffix}")
            if old.exists():
                old.rename(Path(f"{moved}{suffix}"))
        log.warning("alerts database of schema %s moved aside to %s", older.version, moved)
        return make_engine(url)
    except CommandError as error:
        engine.dispose()
        raise RuntimeError(
            f"db_url: the alerts tables cannot be migrated by this release ({error}); "
            "a newer release may have migrated them"
        ) from error
    except BaseException:
        engine.dispose()
        raise
    return engine
