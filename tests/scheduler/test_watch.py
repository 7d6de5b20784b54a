"""``steward watch``: fingerprints, debouncing, and scans when files or tables change."""

from __future__ import annotations

import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from datasteward.config import Project, load_project, parse_project
from datasteward.errors import SourceError, UsageError
from datasteward.model import Run
from datasteward.services.scheduler import Watcher, fingerprint_query, probe_for
from datasteward.services.sources import SourcePool
from datasteward.store import Store

from .conftest import FakeClock, Log, start_steward, write_project

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _files_project(tmp_path: Path) -> Project:
    config = write_project(
        tmp_path,
        "  orders: {source: lake, path: orders.csv, checks: [{row_count: {min: 1}}]}\n",
    )
    return load_project(config)


def _sqlite_project(tmp_path: Path, key: str = "") -> Project:
    with sqlite3.connect(tmp_path / "shop.sqlite") as conn:
        conn.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, amount REAL)")
        conn.execute("INSERT INTO orders VALUES (1, 10), (2, 20)")
    config = write_project(
        tmp_path,
        f"  orders: {{source: shop, table: orders, {key}checks: [{{row_count: {{min: 1}}}}]}}\n",
        sources="  shop: {type: sqlite, path: shop.sqlite}\n",
    )
    return load_project(config)


class Scans:
    """A scanner that records when it was called instead of scanning."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.at: list[datetime] = []

    def __call__(self, project: Project, datasets: list[str]) -> Run:
        self.at.append(self.clock.now())
        return Run("r", self.clock.now(), self.clock.now(), self.clock.now(), [])


def test_a_burst_of_edits_gives_one_scan_after_the_quiet_period(tmp_path: Path) -> None:
    project = _files_project(tmp_path)
    orders = tmp_path / "data" / "orders.csv"
    clock = FakeClock(START)
    for seconds in (3, 4, 5):  # a writer appends rows for a few seconds
        clock.at[START + seconds * SECOND] = [
            lambda n=seconds: orders.write_text(orders.read_text() + f"{n},{n}\n")
        ]
    scans = Scans(clock)
    watcher = Watcher(
        project, "orders", interval=SECOND, debounce=2 * SECOND, scanner=scans, clock=clock
    )
    assert watcher.run(once=True) is not None
    # changes seen at 3s, 4s and 5s; quiet at 6s; quiet for 2s at 7s: scan
    assert scans.at == [START + 7 * SECOND]


def test_nothing_is_scanned_while_nothing_changes(tmp_path: Path) -> None:
    project = _files_project(tmp_path)
    clock = FakeClock(START)
    scans = Scans(clock)
    watcher = Watcher(
        project, "orders", interval=SECOND, debounce=SECOND, scanner=scans, clock=clock
    )
    clock.at[START + 60 * SECOND] = [watcher.shutdown.request]
    assert watcher.run() is None
    assert scans.at == []


def test_a_failing_poll_is_not_a_change_and_watching_goes_on(tmp_path: Path) -> None:
    project = _files_project(tmp_path)
    clock = FakeClock(START)
    answers: list[object] = ["a", SourceError("database restarting"), "a", "b", "b", "b"]

    def probe() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    scans = Scans(clock)
    watcher = Watcher(
        project,
        "orders",
        interval=SECOND,
        debounce=SECOND,
        probe=probe,  # type: ignore[arg-type]
        scanner=scans,
        clock=clock,
    )
    watcher.run(once=True)
    assert scans.at == [START + 4 * SECOND]  # baseline "a"; "b" first seen at 3s


def test_the_fingerprint_query_counts_rows_and_takes_the_key_maximum(tmp_path: Path) -> None:
    project = _sqlite_project(tmp_path, key="key: order_id, ")
    with SourcePool(project) as pool:
        ref = pool.dataset("orders")
        query = fingerprint_query(ref, ["order_id", "amount"])
        assert (
            query.sql("sqlite") == 'SELECT COUNT(*), MAX("order_id"), MAX("amount") FROM "orders"'
        )
        assert fingerprint_query(ref, []).sql("sqlite").endswith('MAX("order_id") FROM "orders"')
        with pytest.raises(
            UsageError, match=r"'amout' not found in dataset 'orders' \(did you mean 'amount'\?\)"
        ):
            fingerprint_query(ref, ["amout"])
    probe = probe_for(project, "orders")
    assert probe() == (2, 2)


def test_files_cannot_be_watched_by_column(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--column applies to database sources"):
        probe_for(_files_project(tmp_path), "orders", ["amount"])
    with pytest.raises(UsageError, match=r"unknown dataset 'order'.*did you mean 'orders'"):
        probe_for(_files_project(tmp_path), "order")


def test_watching_a_duckdb_file_leaves_it_writable(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE orders AS SELECT 1 AS order_id")
    project = parse_project(
        "sources: {wh: {type: duckdb, path: warehouse.duckdb}}\n"
        "datasets: {orders: {source: wh, table: orders}}\n",
        base_dir=tmp_path,
    )
    probe = probe_for(project, "orders")
    before = probe()
    with duckdb.connect(str(path)) as conn:  # would fail if the watcher held the file open
        conn.execute("INSERT INTO orders VALUES (2)")
    assert probe() != before


def _watch_once(tmp_path: Path, change: object) -> tuple[int, str]:
    process = start_steward(
        "watch", "orders", "--interval", "0.1s", "--debounce", "0.3s", "--once", cwd=tmp_path
    )
    log = Log(process)
    try:
        log.wait_for("watching orders")
        change()  # type: ignore[operator]
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return code, log.text


def _runs(project: Project) -> list[str]:
    with Store.open(project.store_url()) as store:
        return [run.run_id for run in store.runs()]


def test_editing_a_csv_file_triggers_a_recorded_scan(tmp_path: Path) -> None:
    project = _files_project(tmp_path)
    orders = tmp_path / "data" / "orders.csv"
    code, log = _watch_once(tmp_path, lambda: orders.write_text(orders.read_text() + "4,40\n"))
    assert code == 0, log
    (run_id,) = _runs(project)
    assert "INFO orders changed" in log
    assert "INFO scan orders: ok in " in log and f"run {run_id}: 1 pass" in log


def test_a_sqlite_table_change_triggers_a_recorded_scan(tmp_path: Path) -> None:
    project = _sqlite_project(tmp_path)

    def insert() -> None:
        with sqlite3.connect(tmp_path / "shop.sqlite") as conn:
            conn.execute("INSERT INTO orders VALUES (3, 30)")

    code, log = _watch_once(tmp_path, insert)
    assert code == 0, log
    (run_id,) = _runs(project)
    with Store.open(project.store_url()) as store:
        (row_count,) = store.metric_history("orders", "row_count")
    assert (row_count.run_id, row_count.value) == (run_id, 3)


def test_watch_exits_0_on_sigterm(tmp_path: Path) -> None:
    _files_project(tmp_path)
    process = start_steward("watch", "orders", "--interval", "0.1s", cwd=tmp_path)
    log = Log(process)
    try:
        log.wait_for("watching orders")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0, log.text
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert log.lines[-1].endswith("INFO stopped watching orders")
