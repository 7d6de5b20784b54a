"""The scheduler (``steward run``) and the watcher (``steward watch``).

Jobs are rows in the store (``schedule_state``): a restarted scheduler runs what it missed
once, and schedulers sharing a store never run one slot twice (DESIGN.md section 6).
"""

from datasteward.services.scheduler.clock import Clock, SystemClock
from datasteward.services.scheduler.jobs import JobRunner, describe_run, run_job
from datasteward.services.scheduler.loop import JobOutcome, Scheduler
from datasteward.services.scheduler.schedule import (
    Job,
    JobKind,
    Schedule,
    scheduled_jobs,
    scheduled_run_id,
)
from datasteward.services.scheduler.shutdown import JobAbandoned, Shutdown, stop_on_signals
from datasteward.services.scheduler.watch import Watcher, fingerprint_query, probe_for

__all__ = [
    "Clock",
    "Job",
    "JobAbandoned",
    "JobKind",
    "JobOutcome",
    "JobRunner",
    "Schedule",
    "Scheduler",
    "Shutdown",
    "SystemClock",
    "Watcher",
    "describe_run",
    "fingerprint_query",
    "probe_for",
    "run_job",
    "scheduled_jobs",
    "scheduled_run_id",
    "stop_on_signals",
]
