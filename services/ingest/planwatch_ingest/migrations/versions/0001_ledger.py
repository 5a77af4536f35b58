"""The ingest ledger: outbox (every accepted figure), latest vintage per series, submission ids,
idempotency answers.

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


def upgrade() -> None:
    op.create_table(
        "ingest_outbox",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("key", sa.LargeBinary, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("series", sa.Text, nullable=False),
        sa.Column("vintage", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()),
        # The database refuses a second figure with the same revision number of a series.
        sa.UniqueConstraint("series", "vintage", name="ingest_outbox_series_vintage"),
    )
    op.create_index(
        "ingest_outbox_unpublished",
        "ingest_outbox",
        ["seq"],
        postgresql_where=sa.text("NOT published"),
    )
    op.create_table(
        "ingest_series",  # the latest figure per series; its row lock orders the revisions
        sa.Column("series", sa.Text, primary_key=True),
        sa.Column("vintage", sa.Integer, nullable=False),  # 0: nothing yet
        sa.Column("value", sa.Float),
        sa.Column("event_id", sa.Text),
    )
    op.create_table(
        "ingest_client_ids",  # a bureau's submission id → the figure it names
        sa.Column("owner", sa.Text, primary_key=True),
        sa.Column("client_id", sa.Text, primary_key=True),
        sa.Column("series", sa.Text, nullable=False),
        sa.Column("vintage", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
    )
    op.create_table(
        "ingest_idempotency",
        sa.Column("owner", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("request_sha256", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("ingest_idempotency", "ingest_client_ids", "ingest_series", "ingest_outbox"):
        op.drop_table(table)
