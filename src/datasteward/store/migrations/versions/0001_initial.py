"""Runs, check results and metric history.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Spelled out rather than imported from tables.py: a revision must keep creating the
# schema it created on the day it was written, whatever tables.py says later.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("as_of", _TIMESTAMP, nullable=False),
        sa.Column("started_at", _TIMESTAMP, nullable=False),
        sa.Column("finished_at", _TIMESTAMP, nullable=False),
        sa.Column("summary", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_runs"),
    )
    op.create_index("ix_runs_as_of", "runs", ["as_of"])

    op.create_table(
        "check_results",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("dataset", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("column", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("observed", _JSON, nullable=True),
        sa.Column("failed_rows", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("samples", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_check_results"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.run_id"],
            name="fk_check_results_run_id_runs",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_check_results_dataset_name", "check_results", ["dataset", "name"])
    op.create_index("ix_check_results_run_id", "check_results", ["run_id"])

    op.create_table(
        "metrics",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("dataset", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("column", sa.String(), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("as_of", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metrics"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.run_id"],
            name="fk_metrics_run_id_runs",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_metrics_dataset_name_column_as_of", "metrics", ["dataset", "name", "column", "as_of"]
    )
    op.create_index("ix_metrics_run_id", "metrics", ["run_id"])


def downgrade() -> None:
    op.drop_table("metrics")
    op.drop_table("check_results")
    op.drop_table("runs")
