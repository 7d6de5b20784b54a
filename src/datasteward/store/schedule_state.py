"""Scheduled jobs as rows: when each is due next, who runs it now, and how it last went.

Every change of a job's row is one conditional UPDATE, so any number of schedulers can
share a store (DESIGN.md section 6): a slot is claimed by moving ``next_due`` on from the
value the claimer read (only one claimer's UPDATE matches); the claimer holds a lease it
renews while the job runs; a job whose lease expired (its scheduler died or gave up) is
taken over by whoever moves the lease first, and reruns the same slot.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Double, String, Table, Text, select, update
from sqlalchemy.exc import IntegrityError

from datasteward.store.tables import UtcDateTime, metadata

__all__ = ["JobState", "ScheduleState", "schedule_state"]

schedule_state = Table(
    "schedule_state",
    metadata,
    Column("job", String(), primary_key=True),  # "scan:orders", "backup:orders"
    Column("schedule", String(), nullable=False),  # "every 15m", "cron 0 6 * * *"
    Column("next_due", UtcDateTime(), nullable=False),
    # Set while a scheduler runs the job: the slot, who runs it, until when it is theirs.
    Column("running_slot", UtcDateTime(), nullable=True),
    Column("owner", String(), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("last_slot", UtcDateTime(), nullable=True),
    Column("last_started_at", UtcDateTime(), nullable=True),
    Column("last_finished_at", UtcDateTime(), nullable=True),
    Column("last_outcome", String(), nullable=True),  # "ok" or "failed"
    Column("last_message", Text(), nullable=True),
    Column("last_seconds", Double(), nullable=True),
)


@dataclass(frozen=True)
class JobState:
    """One job's row."""

    job: str
    schedule: str
    next_due: datetime
    running_slot: datetime | None = None
    owner: str | None = None
    lease_until: datetime | None = None
    last_slot: datetime | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_outcome: str | None = None
    last_message: str | None = None
    last_seconds: float | None = None


Connect = Callable[[], AbstractContextManager[Connection]]


class ScheduleState:
    """Reads and changes ``schedule_state`` rows through the store's connections."""

    def __init__(self, connect: Connect, begin: Connect) -> None:
        self._connect = connect
        self._begin = begin

    def get(self, job: str) -> JobState | None:
        query = select(schedule_state).where(schedule_state.c.job == job)
        with self._connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _state(row)

    def all(self) -> list[JobState]:
        with self._connect() as conn:
            rows = conn.execute(select(schedule_state).order_by(schedule_state.c.job)).mappings()
            return [_state(row) for row in rows]

    def register(self, job: str, schedule: str, next_due: datetime) -> JobState:
        """Add a job's row if missing; a job whose schedule changed is due at ``next_due``."""
        try:
            with self._begin() as conn:
                conn.execute(
                    schedule_state.insert().values(job=job, schedule=schedule, next_due=next_due)
                )
        except IntegrityError:
            pass  # the row exists (perhaps another scheduler added it just now)
        found = self.get(job)
        assert found is not None
        if found.schedule == schedule:
            return found
        self._change(
            job,
            schedule_state.c.schedule == found.schedule,
            schedule=schedule,
            next_due=next_due,
        )
        changed = self.get(job)
        assert changed is not None
        return changed

    def claim(
        self,
        job: str,
        *,
        expected_due: datetime,
        slot: datetime,
        next_due: datetime,
        owner: str,
        lease_until: datetime,
        now: datetime,
    ) -> bool:
        """Take ``slot`` if the job is still due at ``expected_due`` and nobody runs it."""
        return self._change(
            job,
            (schedule_state.c.next_due == expected_due) & schedule_state.c.running_slot.is_(None),
            next_due=next_due,
            running_slot=slot,
            owner=owner,
            lease_until=lease_until,
            last_started_at=now,
        )

    def take_over(
        self, job: str, *, slot: datetime, owner: str, lease_until: datetime, now: datetime
    ) -> bool:
        """Take a running slot whose lease expired before ``now``."""
        return self._change(
            job,
            (schedule_state.c.running_slot == slot) & (schedule_state.c.lease_until < now),
            owner=owner,
            lease_until=lease_until,
            last_started_at=now,
        )

    def renew(self, job: str, *, owner: str, lease_until: datetime) -> bool:
        """Extend the lease; false when ``owner`` no longer holds it."""
        return self._change(job, schedule_state.c.owner == owner, lease_until=lease_until)

    def finish(
        self,
        job: str,
        *,
        owner: str,
        slot: datetime,
        outcome: str,
        message: str,
        finished_at: datetime,
        seconds: float,
    ) -> bool:
        """Record how the slot went and free the job; false when the lease was lost."""
        return self._change(
            job,
            (schedule_state.c.owner == owner) & (schedule_state.c.running_slot == slot),
            running_slot=None,
            owner=None,
            lease_until=None,
            last_slot=slot,
            last_finished_at=finished_at,
            last_outcome=outcome,
            last_message=message,
            last_seconds=seconds,
        )

    def release(self, job: str, *, owner: str, now: datetime) -> bool:
        """Give up a running slot: its lease ends now, so the next scheduler reruns it."""
        return self._change(job, schedule_state.c.owner == owner, lease_until=now)

    def _change(self, job: str, condition: Any, **values: Any) -> bool:
        statement = (
            update(schedule_state)
            .where(schedule_state.c.job == job)
            .where(condition)
            .values(**values)
        )
        with self._begin() as conn:
            return conn.execute(statement).rowcount == 1


def _state(row: Any) -> JobState:
    return JobState(**{column.name: row[column.name] for column in schedule_state.columns})
