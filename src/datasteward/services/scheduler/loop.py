"""The scheduler loop: claim due slots in the store, run them, log each, sleep, repeat.

Job state lives in the store (``schedule_state``), never in this process: a restarted
scheduler finds the slots it missed and runs each job once, however many slots passed,
and several schedulers on one store split the work without running a slot twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from datasteward.errors import StewardError
from datasteward.services.scheduler.clock import Clock, SystemClock
from datasteward.services.scheduler.jobs import JobRunner, run_job
from datasteward.services.scheduler.schedule import Job, scheduled_jobs
from datasteward.services.scheduler.shutdown import JobAbandoned, Shutdown

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.store import Store
    from datasteward.store.schedule_state import JobState

__all__ = ["JobOutcome", "Scheduler", "default_owner", "iso"]

logger = logging.getLogger("datasteward.scheduler")

# A sleep is never shorter, so a slot a timer wakes for a hair early cannot spin the loop.
_MIN_SLEEP = 0.01
# How long to wait before trying again when the store cannot be reached.
_RETRY = 30.0


@dataclass(frozen=True)
class JobOutcome:
    """How one slot of one job went."""

    job: Job
    slot: datetime
    ok: bool
    seconds: float
    message: str


def default_owner() -> str:
    """Names this process in leases: host, pid and a random part (pids repeat in containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def iso(moment: datetime) -> str:
    """``2026-01-05T06:00:00Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Scheduler:
    """Runs the due slots of every scheduled job of a project, sharing work through a store."""

    def __init__(
        self,
        project: Project,
        store: Store,
        *,
        jobs: list[Job] | None = None,
        runner: JobRunner = run_job,
        clock: Clock | None = None,
        shutdown: Shutdown | None = None,
        owner: str | None = None,
        lease: timedelta = timedelta(minutes=2),
        idle: timedelta = timedelta(minutes=1),
    ) -> None:
        """A scheduler for ``project``'s jobs (nothing runs before :meth:`run`).

        ``lease`` is how long a claim lasts unless renewed (every quarter of it, while the
        job runs); ``idle`` is the longest sleep, so changes other schedulers make to the
        store are noticed.
        """
        self.project = project
        self.states = store.schedule_state
        self.jobs = {job.key: job for job in (scheduled_jobs(project) if jobs is None else jobs)}
        self.runner = runner
        self.shutdown = shutdown or Shutdown()
        self.clock = clock or SystemClock(self.shutdown)
        self.owner = owner or default_owner()
        self.lease = lease
        self.idle = idle

    def register(self) -> None:
        """Give every job a row in the store; a new (or rescheduled) job is due at its next slot."""
        now = self.clock.now()
        for job in self.jobs.values():
            state = self.states.register(job.key, job.schedule.text, job.schedule.next_after(now))
            logger.info("%s: %s, next due %s", job.key, job.schedule, iso(state.next_due))

    def run(self, *, once: bool = False) -> list[JobOutcome]:
        """Run jobs as they fall due until a shutdown is requested.

        ``once``: run the jobs due now (or, when none is, wait for the next ones), then
        return them. Returns what the last round ran.
        """
        self.register()
        ran: list[JobOutcome] = []
        try:
            while not self.shutdown.requested:
                ran, pause = self._step(once)
                if (once and ran) or self.shutdown.requested:
                    break
                self.clock.sleep(pause)
        except JobAbandoned:
            logger.info("stopped during a job; its slot runs again on the next start")
        logger.info("scheduler stopped")
        return ran

    def _step(self, once: bool) -> tuple[list[JobOutcome], float]:
        """Run what is due; returns it and how long to sleep before the next round."""
        try:
            return self.run_due(), self.seconds_to_next()
        except StewardError as error:
            if once:
                raise
            # The store may be restarting: a scheduler outlives a short outage.
            logger.error("%s; retrying in %.0fs", error, _RETRY)
            return [], _RETRY

    def run_due(self) -> list[JobOutcome]:
        """Run each job that is due now once (earliest due, then configuration order)."""
        order = {key: index for index, key in enumerate(self.jobs)}
        outcomes = []
        for state in sorted(self._states(), key=lambda s: (s.next_due, order[s.job])):
            if self.shutdown.requested:
                break
            outcome = self._run_if_due(self.jobs[state.job], state)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def seconds_to_next(self) -> float:
        """How long to sleep: until the next due slot or expiring lease, at most ``idle``."""
        now = self.clock.now()
        wake = now + self.idle
        for state in self._states():
            moment = state.next_due if state.running_slot is None else state.lease_until
            if moment is not None:
                wake = min(wake, moment)
        return max((wake - now).total_seconds(), _MIN_SLEEP)

    def _states(self) -> list[JobState]:
        return [state for state in self.states.all() if state.job in self.jobs]

    def _run_if_due(self, job: Job, state: JobState) -> JobOutcome | None:
        now = self.clock.now()
        lease_until = now + self.lease
        if state.running_slot is not None:
            if state.lease_until is None or state.lease_until >= now:
                return None  # running elsewhere; overlapping slots wait for it
            slot = state.running_slot
            if not self.states.take_over(
                job.key, slot=slot, owner=self.owner, lease_until=lease_until, now=now
            ):
                return None
            logger.warning(
                "%s: slot %s was left by %s (lease expired); running it again",
                job.key,
                iso(slot),
                state.owner,
            )
            return self._execute(job, slot)
        if state.next_due > now:
            return None
        # However many slots were missed, the job runs once, as its latest slot.
        slot = max(state.next_due, job.schedule.latest_at_or_before(now))
        if not self.states.claim(
            job.key,
            expected_due=state.next_due,
            slot=slot,
            next_due=job.schedule.next_after(now),
            owner=self.owner,
            lease_until=lease_until,
            now=now,
        ):
            return None  # another scheduler claimed it first
        if slot > state.next_due:
            logger.info("%s: missed slots since %s run once now", job.key, iso(state.next_due))
        return self._execute(job, slot)

    def _execute(self, job: Job, slot: datetime) -> JobOutcome:
        started = time.perf_counter()
        with self._renewing(job):
            try:
                message, ok = self.runner(self.project, job, slot), True
            except JobAbandoned:
                self.states.release(job.key, owner=self.owner, now=self.clock.now())
                logger.warning(
                    "%s slot %s: abandoned after %.2fs",
                    job.key,
                    iso(slot),
                    time.perf_counter() - started,
                )
                raise
            except StewardError as error:
                message, ok = str(error), False
            except Exception as error:
                # The scheduler is a door, like the CLI: one broken job must not stop the
                # others, and its traceback is what a bug report needs.
                logger.exception("%s slot %s: unexpected error", job.key, iso(slot))
                message, ok = f"{type(error).__name__}: {error}", False
        outcome = JobOutcome(job, slot, ok, time.perf_counter() - started, message)
        self._finish(outcome)
        return outcome

    def _finish(self, outcome: JobOutcome) -> None:
        job, slot = outcome.job, outcome.slot
        held = self.states.finish(
            job.key,
            owner=self.owner,
            slot=slot,
            outcome="ok" if outcome.ok else "failed",
            message=outcome.message,
            finished_at=self.clock.now(),
            seconds=outcome.seconds,
        )
        verdict = "ok" if outcome.ok else "failed"
        level = logging.INFO if outcome.ok else logging.ERROR
        logger.log(
            level,
            "%s slot %s: %s in %.2fs: %s",
            job.key,
            iso(slot),
            verdict,
            outcome.seconds,
            outcome.message,
        )
        if not held:
            logger.warning("%s: the lease was lost while the job ran", job.key)

    @contextmanager
    def _renewing(self, job: Job) -> Iterator[None]:
        """Renew the job's lease on a thread while it runs."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.lease.total_seconds() / 4):
                try:
                    held = self.states.renew(
                        job.key, owner=self.owner, lease_until=self.clock.now() + self.lease
                    )
                except StewardError as error:
                    logger.warning("%s: cannot renew the lease: %s", job.key, error)
                    continue
                if not held:
                    logger.warning("%s: lease taken over by another scheduler", job.key)
                    return

        thread = threading.Thread(target=renew, name=f"steward-lease-{job.key}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
