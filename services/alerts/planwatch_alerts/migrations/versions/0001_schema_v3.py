"""The alert store at schema version 3, the last one kept before Alembic.

Handled events, alerts, items waiting to be grouped, notifications (the outbox), the agencies'
answers, and the old version table ``alerts_schema`` saying 3.

A database made by that release has exactly these tables and is stamped at this revision
instead of running it (``env.py``).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_INDEXES = {
    "alerts": [
        "alert_key",
        "indicator_id",
        "jurisdiction",
        "state",
        "next_repeat_at",
        "escalate_at",
    ],
    "pending_items": ["group_key", "digest"],
    "notifications": ["digest", "group_key", "state"],
    "responses": ["alert_id"],
}


def upgrade() -> None:
    schema = op.create_table("alerts_schema", sa.Column("version", sa.Integer, nullable=False))
    op.bulk_insert(schema, [{"version": 3}])
    op.create_table("seen_events", sa.Column("event_id", sa.String(64), primary_key=True))
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_key", sa.String(400), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("indicator_id", sa.String(200), nullable=False),
        sa.Column("jurisdiction", sa.String(100), nullable=False),
        sa.Column("plan_code", sa.String(50), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agencies", sa.JSON, nullable=False),
        sa.Column("copied", sa.JSON, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("routes", sa.JSON, nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("resolved_at", sa.DateTime),
        sa.Column("acked_by", sa.String(200)),
        sa.Column("acked_at", sa.DateTime),
        sa.Column("ack_comment", sa.Text),
        sa.Column("silenced_until", sa.DateTime),
        sa.Column("silenced_by", sa.String(200)),
        sa.Column("silence_reason", sa.Text),
        sa.Column("last_notified_at", sa.DateTime),
        sa.Column("next_repeat_at", sa.DateTime),
        sa.Column("escalate_at", sa.DateTime),
        sa.Column("escalated_at", sa.DateTime),
    )
    op.create_table(
        "pending_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("receiver", sa.String(200), nullable=False),
        sa.Column("group_key", sa.String(400), nullable=False),
        sa.Column("group_wait_s", sa.Float, nullable=False),
        sa.Column("group_interval_s", sa.Float, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("digest", sa.String(64)),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedup_key", sa.String(64), nullable=False, unique=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("group_key", sa.String(400), nullable=False),
        sa.Column("receiver", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("to", sa.JSON, nullable=False),
        sa.Column("cc", sa.JSON, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html", sa.Text),
        sa.Column("alert_ids", sa.JSON, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("message_id", sa.String(200), nullable=False),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("expected_recovery", sa.Date),
        sa.Column("link_nonce", sa.String(64), nullable=False, unique=True),
    )
    for table, columns in _INDEXES.items():  # the names SQLAlchemy gives ``index=True``
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table in (
        "responses",
        "notifications",
        "pending_items",
        "alerts",
        "seen_events",
        "alerts_schema",
    ):
        op.drop_table(table)
