"""An index of the outbox by owner: a bureau's figures, every vintage (``GET /v1/figures``).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ingest_outbox_owner", "ingest_outbox", ["owner", "seq"])


def downgrade() -> None:
    op.drop_index("ingest_outbox_owner", table_name="ingest_outbox")
