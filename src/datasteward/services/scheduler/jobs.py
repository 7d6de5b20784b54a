"""What a job does: one slot of a scheduled scan or backup, through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from datasteward.services.scheduler.schedule import Job, JobKind, scheduled_run_id

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.model import Run

__all__ = ["JobRunner", "describe_run", "run_job"]

#: Runs one slot of a job and returns a one-line summary for the log; raises on failure.
JobRunner = Callable[["Project", Job, datetime], str]


def run_job(project: Project, job: Job, slot: datetime) -> str:
    """Run one slot: a scan recorded under the slot's run id, or a tagged snapshot.

    A scheduled scan's logical time (``as_of``) is its slot, so a rerun of the slot is
    the same run and is recorded once.
    """
    if job.kind is JobKind.SCAN:
        from datasteward.services.scan import scan

        run = scan(project, [job.dataset], as_of=slot, run_id=scheduled_run_id(job, slot))
        return describe_run(run)
    from datasteward.services.backup import backup_dataset

    manifest = backup_dataset(project, job.dataset, tags=["scheduled"])
    return f"snapshot {manifest.id} ({manifest.kind}, {manifest.rows:,} rows)"


def describe_run(run: Run) -> str:
    """``run 3f2a…: 12 pass, 1 fail``."""
    counts = ", ".join(f"{count} {status}" for status, count in run.summary.items() if count)
    return f"run {run.run_id}: {counts or 'no checks'}"
