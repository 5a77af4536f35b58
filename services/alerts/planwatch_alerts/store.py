"""Alert state and the notification outbox, in SQL (SQLite by default, PostgreSQL by URL).

Everything the service knows survives a restart: which events were handled, each alert's
lifecycle, the items waiting to be grouped, and every notification with its delivery state.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime", "alerts", "items", "make_engine", "metadata", "notifications", "seen"]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite (which stores them naive)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


metadata = sa.MetaData()

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
    sa.Column("state", sa.String(16), nullable=False),  # open|acknowledged|silenced|resolved
    sa.Column("agencies", sa.JSON, nullable=False),  # addressed (lead) agencies
    sa.Column("copied", sa.JSON, nullable=False),  # co-responsible agencies
    sa.Column("snapshot", sa.JSON, nullable=False),  # the status change that opened/updated it
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("acked_by", sa.String(200)),
    sa.Column("acked_at", UTCDateTime),
    sa.Column("ack_comment", sa.Text),
    sa.Column("silenced_until", UTCDateTime),
    sa.Column("silence_reason", sa.Text),
    sa.Column("last_notified_at", UTCDateTime),
    sa.Column("escalated_at", UTCDateTime),
)

# Something to tell a receiver about an alert, waiting to be grouped into a digest.
items = sa.Table(
    "pending_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # firing | resolved | repeat | escalation
    sa.Column("receiver", sa.String(200), nullable=False),  # concrete: "agency:gs-kjt" or a name
    sa.Column("group_key", sa.String(400), nullable=False, index=True),
    sa.Column("group_wait_s", sa.Float, nullable=False),
    sa.Column("group_interval_s", sa.Float, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("notification_id", sa.Integer, index=True),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dedup_key", sa.String(64), nullable=False, unique=True),
    sa.Column("group_key", sa.String(400), nullable=False, index=True),
    sa.Column("receiver", sa.String(200), nullable=False),
    sa.Column("to", sa.JSON, nullable=False),  # e-mail addresses and apprise URLs
    sa.Column("cc", sa.JSON, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("alert_ids", sa.JSON, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
)


def make_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, future=True)
    if url.startswith("sqlite"):

        @sa.event.listens_for(engine, "connect")
        def _wal(conn, _record) -> None:  # type: ignore[no-untyped-def]
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma synchronous=full")

    metadata.create_all(engine)
    return engine
