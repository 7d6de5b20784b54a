"""What each alert route last said about each check (``alerts:`` in steward.yml).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

# Spelled out rather than imported from store/alert_state.py: a revision must keep
# creating the schema it created on the day it was written.
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_state",
        sa.Column("route", sa.String(), nullable=False),
        sa.Column("dataset", sa.String(), nullable=False),
        sa.Column("check_name", sa.String(), nullable=False),
        sa.Column("column", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("as_of", _TIMESTAMP, nullable=False),
        sa.Column("delivery", sa.String(), nullable=False),
        sa.Column("claimed_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("route", "dataset", "check_name", "column", name="pk_alert_state"),
    )


def downgrade() -> None:
    op.drop_table("alert_state")
