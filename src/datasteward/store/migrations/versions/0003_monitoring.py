"""Monitoring: metric points flagged as incidents (or accepted), schema snapshots.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "metric_flags",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("column", sa.String(255), nullable=True),
        sa.Column("as_of", _TIMESTAMP, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("flagged_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metric_flags"),
    )
    op.create_index(
        "ix_metric_flags_dataset_name_as_of", "metric_flags", ["dataset", "name", "as_of"]
    )
    op.create_table(
        "schema_snapshots",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(255), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("as_of", _TIMESTAMP, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("columns", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schema_snapshots"),
    )
    op.create_index("ix_schema_snapshots_dataset_as_of", "schema_snapshots", ["dataset", "as_of"])


def downgrade() -> None:
    op.drop_index("ix_schema_snapshots_dataset_as_of", table_name="schema_snapshots")
    op.drop_table("schema_snapshots")
    op.drop_index("ix_metric_flags_dataset_name_as_of", table_name="metric_flags")
    op.drop_table("metric_flags")
