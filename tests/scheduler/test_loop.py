"""The scheduler loop, driven by a test clock against a real store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from datasteward.config import Project, parse_project
from datasteward.config.models import ScheduleConfig
from datasteward.errors import SourceError
from datasteward.services.backup import open_repository, snapshots
from datasteward.services.scheduler import (
    Job,
    JobAbandoned,
    Scheduler,
    Shutdown,
    run_job,
    scheduled_run_id,
)
from datasteward.store import Store

from .conftest import FakeClock

START = datetime(2026, 1, 5, 6, 7, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Recorder:
    """A job runner that records (job, slot) and can fail or stop the loop on cue."""

    def __init__(self, shutdown: Shutdown | None = None, stop_after: int | None = None) -> None:
        self.calls: list[tuple[str, datetime]] = []
        self.failures: dict[str, BaseException] = {}
        self.shutdown = shutdown
        self.stop_after = stop_after
        self.lock = threading.Lock()

    def __call__(self, project: Project, job: Job, slot: datetime) -> str:
        with self.lock:
            self.calls.append((job.key, slot))
        if self.shutdown is not None and len(self.calls) == self.stop_after:
            self.shutdown.request()
        failure = self.failures.pop(job.key, None)
        if failure is not None:
            raise failure
        return f"ran {job.key}"


def scheduler(
    project: Project, store: Store, clock: FakeClock, runner: Recorder, **options: object
) -> Scheduler:
    return Scheduler(
        project,
        store,
        clock=clock,
        runner=runner,
        shutdown=runner.shutdown,
        **options,  # type: ignore[arg-type]
    )


def test_jobs_wait_for_their_first_slot_then_run_at_each(project: Project, store: Store) -> None:
    shutdown = Shutdown()
    runner, clock = Recorder(shutdown, stop_after=3), FakeClock(START)
    scheduler(project, store, clock, runner).run()

    assert runner.calls == [
        ("scan:orders", at("2026-01-05 06:15")),
        ("scan:orders", at("2026-01-05 06:30")),
        ("scan:orders", at("2026-01-05 06:45")),
    ]
    assert clock.now() == at("2026-01-05 06:45")
    state = store.schedule_state.get("scan:orders")
    assert state is not None
    assert (state.next_due, state.last_slot, state.last_outcome) == (
        at("2026-01-05 07:00"),
        at("2026-01-05 06:45"),
        "ok",
    )
    assert state.running_slot is None and state.owner is None
    assert all(0 < pause <= 60 for pause in clock.sleeps)  # never longer than `idle`


def test_missed_slots_run_once_after_a_restart(
    project: Project, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="datasteward.scheduler")
    scheduler(project, store, FakeClock(START), Recorder()).register()  # then it "stops"

    two_days_later = FakeClock(at("2026-01-07 09:20"))
    runner = Recorder()
    restarted = scheduler(project, store, two_days_later, runner)
    restarted.register()
    outcomes = restarted.run_due()

    # ~200 scan slots and 2 backup slots were missed: each job runs once, as its latest slot.
    assert sorted(runner.calls) == [
        ("backup:orders", at("2026-01-07 06:00")),
        ("scan:orders", at("2026-01-07 09:15")),
    ]
    assert all(outcome.ok for outcome in outcomes)
    assert restarted.run_due() == []
    scan_state = store.schedule_state.get("scan:orders")
    backup_state = store.schedule_state.get("backup:orders")
    assert scan_state is not None and backup_state is not None
    assert scan_state.next_due == at("2026-01-07 09:30")
    assert backup_state.next_due == at("2026-01-08 06:00")
    assert "scan:orders: missed slots since 2026-01-05T06:15:00Z run once now" in caplog.text


def test_a_failing_job_is_logged_and_the_loop_goes_on(
    project: Project, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="datasteward.scheduler")
    shutdown = Shutdown()
    runner = Recorder(shutdown, stop_after=4)
    runner.failures = {
        "scan:orders": SourceError("source 'lake': no file matches 'orders.csv'"),
        "backup:orders": RuntimeError("a bug"),
    }
    clock = FakeClock(at("2026-01-05 05:50"))
    scheduler(project, store, clock, runner).run()

    assert runner.calls == [
        ("scan:orders", at("2026-01-05 06:00")),  # fails: the user's problem
        ("backup:orders", at("2026-01-05 06:00")),  # fails: a bug, logged with its traceback
        ("scan:orders", at("2026-01-05 06:15")),
        ("scan:orders", at("2026-01-05 06:30")),
    ]
    failed = [r for r in caplog.records if r.levelno == logging.ERROR and "failed" in r.message]
    assert [r.message.split(":")[0] + ":" + r.message.split(":")[1] for r in failed] == [
        "scan:orders slot 2026-01-05T06",
        "backup:orders slot 2026-01-05T06",
    ]
    assert "no file matches 'orders.csv'" in failed[0].message
    assert "RuntimeError: a bug" in failed[1].message
    assert any(r.exc_info and "unexpected error" in r.message for r in caplog.records)
    backup_state = store.schedule_state.get("backup:orders")
    assert backup_state is not None
    assert (backup_state.last_outcome, backup_state.running_slot) == ("failed", None)
    assert backup_state.last_message == "RuntimeError: a bug"


def test_each_job_logs_one_line_with_duration_and_outcome(
    project: Project, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="datasteward.scheduler")
    scheduler(project, store, FakeClock(START), Recorder()).register()
    scheduler(project, store, FakeClock(at("2026-01-05 06:15")), Recorder()).run_due()

    (line,) = [r.message for r in caplog.records if r.message.startswith("scan:orders slot")]
    assert line.startswith("scan:orders slot 2026-01-05T06:15:00Z: ok in ")
    assert line.endswith("s: ran scan:orders")


def test_the_loop_stops_after_the_current_job(project: Project, store: Store) -> None:
    shutdown = Shutdown()
    runner = Recorder(shutdown, stop_after=1)
    clock = FakeClock(at("2026-01-05 05:59"))
    scheduler(project, store, clock, runner).run()
    # Both jobs were due at 06:00; the stop came during the first, so the second waits.
    assert len(runner.calls) == 1
    assert clock.now() == at("2026-01-05 06:00")


def test_once_waits_for_the_next_due_jobs_then_returns(project: Project, store: Store) -> None:
    runner, clock = Recorder(), FakeClock(START)
    scheduler(project, store, clock, runner).run(once=True)
    assert runner.calls == [("scan:orders", at("2026-01-05 06:15"))]


def test_a_job_another_scheduler_is_running_is_not_started_again(
    project: Project, store: Store
) -> None:
    clock = FakeClock(START)
    second_runner = Recorder()
    second = scheduler(project, store, clock, second_runner, owner="second")
    seen_by_second: list[object] = []

    class RunsTheOtherMeanwhile(Recorder):
        def __call__(self, project: Project, job: Job, slot: datetime) -> str:
            seen_by_second.append(second.run_due())
            return super().__call__(project, job, slot)

    first_runner = RunsTheOtherMeanwhile()
    first = scheduler(project, store, clock, first_runner, owner="first")
    first.register()
    clock.advance(timedelta(minutes=10))  # 06:17:30: the 06:15 scan is due
    first.run_due()
    second.run_due()

    assert first_runner.calls == [("scan:orders", at("2026-01-05 06:15"))]
    assert second_runner.calls == []
    assert seen_by_second == [[]]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, project: Project) -> Iterator[str]:
    """The project's SQLite store, or a fresh database on a real PostgreSQL server."""
    if request.param == "sqlite":
        yield project.store_url()
        return
    server = request.getfixturevalue("postgres_url").replace("+psycopg", "", 1)
    name = f"steward_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_concurrent_schedulers_on_one_store_run_each_slot_once(
    project: Project, store_url: str
) -> None:
    clock = FakeClock(START)
    runner = Recorder()
    stores = [Store.open(store_url) for _ in range(4)]
    try:
        schedulers = [
            scheduler(project, s, clock, runner, owner=f"replica-{i}") for i, s in enumerate(stores)
        ]
        for replica in schedulers:
            replica.register()
        for _ in range(3):  # three 15-minute slots, every replica racing for each
            clock.advance(timedelta(minutes=15))
            barrier = threading.Barrier(len(schedulers))

            def race(replica: Scheduler, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                replica.run_due()

            threads = [threading.Thread(target=race, args=(r,)) for r in schedulers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        for opened in stores:
            opened.close()

    assert runner.calls == [
        ("scan:orders", at("2026-01-05 06:15")),
        ("scan:orders", at("2026-01-05 06:30")),
        ("scan:orders", at("2026-01-05 06:45")),
    ]


def test_a_slot_left_by_a_dead_scheduler_is_taken_over_after_its_lease(
    project: Project, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="datasteward.scheduler")
    clock = FakeClock(START)
    runner = Recorder()
    survivor = scheduler(
        project, store, clock, runner, lease=timedelta(minutes=2), idle=timedelta(hours=1)
    )
    survivor.register()
    clock.advance(timedelta(minutes=10))  # 06:17:30
    # A scheduler claims the 06:15 slot and dies without renewing its lease.
    assert store.schedule_state.claim(
        "scan:orders",
        expected_due=at("2026-01-05 06:15"),
        slot=at("2026-01-05 06:15"),
        next_due=at("2026-01-05 06:30"),
        owner="dead",
        lease_until=clock.now() + timedelta(minutes=2),
        now=clock.now(),
    )
    assert survivor.run_due() == []  # the lease still holds
    assert survivor.seconds_to_next() == 120  # it wakes when the lease ends

    clock.advance(timedelta(minutes=2, seconds=1))
    survivor.run_due()
    assert runner.calls == [("scan:orders", at("2026-01-05 06:15"))]
    state = store.schedule_state.get("scan:orders")
    assert state is not None
    assert (state.running_slot, state.last_slot, state.next_due) == (
        None,
        at("2026-01-05 06:15"),
        at("2026-01-05 06:30"),
    )
    assert "was left by dead (lease expired); running it again" in caplog.text


def test_an_abandoned_job_reruns_its_slot_and_records_its_scan_once(
    project: Project, store: Store
) -> None:
    clock = FakeClock(START)
    scheduler(project, store, clock, Recorder()).register()
    clock.advance(timedelta(minutes=10))
    slot = at("2026-01-05 06:15")

    def abandoned_after_recording(project: Project, job: Job, slot: datetime) -> str:
        run_job(project, job, slot)  # the scan is recorded, then a second SIGTERM arrives
        raise JobAbandoned("SIGTERM received twice")

    Scheduler(project, store, clock=clock, runner=abandoned_after_recording).run(once=True)
    state = store.schedule_state.get("scan:orders")
    assert state is not None
    assert (state.running_slot, state.lease_until) == (slot, clock.now())

    clock.advance(timedelta(seconds=1))
    (outcome,) = Scheduler(project, store, clock=clock).run_due()
    assert (outcome.slot, outcome.ok) == (slot, True)
    (run,) = store.runs()
    assert (run.run_id, run.as_of) == (scheduled_run_id(outcome.job, slot), slot)


def test_real_jobs_record_a_scan_and_take_a_snapshot(project: Project, store: Store) -> None:
    clock = FakeClock(at("2026-01-05 05:59:59"))
    scheduler_ = Scheduler(project, store, clock=clock)
    scheduler_.register()
    clock.advance(timedelta(seconds=1))
    outcomes = {outcome.job.key: outcome for outcome in scheduler_.run_due()}

    assert outcomes["scan:orders"].ok, outcomes["scan:orders"].message
    run_id = scheduled_run_id(outcomes["scan:orders"].job, at("2026-01-05 06:00"))
    assert outcomes["scan:orders"].message == f"run {run_id}: 1 pass"
    (run,) = store.runs()
    assert (run.run_id, run.as_of, run.summary["pass"]) == (run_id, at("2026-01-05 06:00"), 1)

    assert outcomes["backup:orders"].ok, outcomes["backup:orders"].message
    (snapshot,) = snapshots(open_repository(project), "orders")
    assert snapshot.tags == ["scheduled"]
    assert outcomes["backup:orders"].message.startswith(f"snapshot {snapshot.id} (full, 3 rows)")


def test_a_changed_schedule_starts_from_its_next_slot(tmp_path: Path, store: Store) -> None:
    project = parse_project(
        "sources: {lake: {type: files, root: data}}\n"
        "datasets: {orders: {source: lake, path: orders.csv, schedule: {every: 15m}}}\n",
        base_dir=tmp_path,
    )
    scheduler(project, store, FakeClock(START), Recorder()).register()
    orders = project.datasets["orders"]
    hourly = project.model_copy(
        update={
            "datasets": {
                "orders": orders.model_copy(update={"schedule": ScheduleConfig(every="1h")})
            }
        }
    )
    scheduler(hourly, store, FakeClock(START), Recorder()).register()
    state = store.schedule_state.get("scan:orders")
    assert state is not None
    assert (state.schedule, state.next_due) == ("every 1h", at("2026-01-05 07:00"))
