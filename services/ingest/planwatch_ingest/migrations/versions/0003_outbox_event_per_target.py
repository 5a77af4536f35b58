"""One event per target in the outbox: a figure of a statistic several targets share has an
event for each (keyed by its target), all of one series and vintage. The unique revision number
is per series and target, not per series.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("ingest_outbox_series_vintage", "ingest_outbox", type_="unique")
    op.create_unique_constraint(
        "ingest_outbox_series_vintage_key", "ingest_outbox", ["series", "vintage", "key"]
    )


def downgrade() -> None:
    op.drop_constraint("ingest_outbox_series_vintage_key", "ingest_outbox", type_="unique")
    op.create_unique_constraint(
        "ingest_outbox_series_vintage", "ingest_outbox", ["series", "vintage"]
    )
