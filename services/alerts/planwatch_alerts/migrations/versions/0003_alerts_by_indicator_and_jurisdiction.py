"""Index the alerts by (indicator, jurisdiction) together, in place of the indicator alone.

Every status change looks up the alerts of its (indicator, jurisdiction): with an index on each
column apart, SQLite took the jurisdiction's (most alerts share a province) and read every alert
of it. The pair's index also serves a search by the indicator alone.

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
    op.create_index("ix_alerts_indicator_jurisdiction", "alerts", ["indicator_id", "jurisdiction"])
    op.drop_index("ix_alerts_indicator_id", table_name="alerts")


def downgrade() -> None:
    op.create_index("ix_alerts_indicator_id", "alerts", ["indicator_id"])
    op.drop_index("ix_alerts_indicator_jurisdiction", table_name="alerts")
