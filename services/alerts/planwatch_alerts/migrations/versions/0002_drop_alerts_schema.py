"""Drop the old version table ``alerts_schema``: Alembic keeps the version from now on.

A release before Alembic given this database finds alerts tables without a version, and moves
the file aside (SQLite) or refuses the database (a DSN) instead of using tables it may not know;
``alembic downgrade 0001`` gives back a database it accepts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("alerts_schema")


def downgrade() -> None:
    schema = op.create_table("alerts_schema", sa.Column("version", sa.Integer, nullable=False))
    op.bulk_insert(schema, [{"version": 3}])
