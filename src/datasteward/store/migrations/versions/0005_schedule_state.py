"""Scheduled jobs as rows: next due time, lease and last outcome (``steward run``).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

# Spelled out rather than imported from store/schedule_state.py: a revision must keep
# creating the schema it created on the day it was written.
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedule_state",
        sa.Column("job", sa.String(), nullable=False),
        sa.Column("schedule", sa.String(), nullable=False),
        sa.Column("next_due", _TIMESTAMP, nullable=False),
        sa.Column("running_slot", _TIMESTAMP, nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("lease_until", _TIMESTAMP, nullable=True),
        sa.Column("last_slot", _TIMESTAMP, nullable=True),
        sa.Column("last_started_at", _TIMESTAMP, nullable=True),
        sa.Column("last_finished_at", _TIMESTAMP, nullable=True),
        sa.Column("last_outcome", sa.String(), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.Column("last_seconds", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("job", name="pk_schedule_state"),
    )


def downgrade() -> None:
    op.drop_table("schedule_state")
