"""Schedule arithmetic: the slots of a ``cron`` expression or an ``every`` interval.

A slot is a moment a job is meant to run. Slots are pure functions of the schedule (cron
in UTC; ``every`` intervals counted from 1970-01-01T00:00Z), so every scheduler sharing a
store agrees on them, and a run can be named after its slot.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from croniter import croniter

from datasteward.durations import parse_duration

if TYPE_CHECKING:
    from datasteward.config.models import Project, ScheduleConfig

__all__ = ["Job", "JobKind", "Schedule", "scheduled_jobs", "scheduled_run_id"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Names run ids of scheduled scans; fixed forever so a retried slot keeps its id.
_RUN_NAMESPACE = uuid.UUID("8f6c1f8e-5d0b-4b5e-9a57-3c2f2d1e7a10")


@dataclass(frozen=True)
class Schedule:
    """A cron expression or an interval; ``text`` is how the configuration wrote it."""

    cron: str | None = None
    every: timedelta | None = None
    text: str = ""

    @classmethod
    def of(cls, config: ScheduleConfig) -> Schedule:
        if config.cron is not None:
            return cls(cron=config.cron, text=f"cron {config.cron}")
        assert config.every is not None
        return cls(every=parse_duration(config.every), text=f"every {config.every}")

    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after ``moment``."""
        if self.every is not None:
            return self.latest_at_or_before(moment) + self.every
        return _moment(self._cron(moment).get_next(datetime))

    def latest_at_or_before(self, moment: datetime) -> datetime:
        """The last slot at or before ``moment``."""
        if self.every is not None:
            step = _microseconds(self.every)
            elapsed = _microseconds(moment.astimezone(UTC) - _EPOCH)
            return _EPOCH + timedelta(microseconds=elapsed - elapsed % step)
        # croniter's get_prev is strictly before its start; a slot at `moment` counts.
        return _moment(self._cron(moment + _MICROSECOND).get_prev(datetime))

    def _cron(self, start: datetime) -> croniter:
        return croniter(self.cron, start.astimezone(UTC))

    def __str__(self) -> str:
        return self.text


def _moment(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class JobKind(StrEnum):
    SCAN = "scan"
    BACKUP = "backup"


@dataclass(frozen=True)
class Job:
    """Scheduled work on one dataset: a scan (``schedule:``) or a backup (``backup_schedule:``)."""

    kind: JobKind
    dataset: str
    schedule: Schedule

    @property
    def key(self) -> str:
        """The job's name in the store and in logs, e.g. ``scan:orders``."""
        return f"{self.kind.value}:{self.dataset}"


def scheduled_jobs(project: Project) -> list[Job]:
    """Every job the configuration schedules, in configuration order."""
    jobs = []
    for name, dataset in project.datasets.items():
        if dataset.schedule is not None:
            jobs.append(Job(JobKind.SCAN, name, Schedule.of(dataset.schedule)))
        if dataset.backup_schedule is not None:
            jobs.append(Job(JobKind.BACKUP, name, Schedule.of(dataset.backup_schedule)))
    return jobs


def scheduled_run_id(job: Job, slot: datetime) -> str:
    """The run id of a job's slot: the same slot always gets the same id."""
    moment = slot.astimezone(UTC).isoformat()
    return uuid.uuid5(_RUN_NAMESPACE, f"{job.key}@{moment}").hex
