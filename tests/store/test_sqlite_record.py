"""The sqlite3 recorder writes exactly what the SQLAlchemy store writes, and steps aside
whenever it cannot be sure it may (a new or older store, other URLs)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import datasteward.store
from datasteward.model import CheckResult, CheckStatus, DatasetResult, MetricValue, Run, Severity
from datasteward.store import Store
from datasteward.store.sqlite_record import open_current

from .child import imports_sqlalchemy, write_project

SRC = Path(datasteward.store.__file__).parents[2]
TABLES = ("runs", "check_results", "metrics", "schema_snapshots")


def tricky_run(run_id: str = "run-1") -> Run:
    """Every kind of value a run holds: None, NaN, Decimals, bytes, naive and offset times."""
    checks = [
        CheckResult(
            name="unique(order_id)",
            type="unique",
            status=CheckStatus.FAIL,
            severity=Severity.ERROR,
            message="12 rows share a duplicated order_id — ünïcode",
            column="order_id",
            observed=Decimal("0.999998"),
            failed_rows=12,
            samples=[
                {
                    "order_id": 17,
                    "amount": Decimal("12.50"),
                    "at": datetime(2026, 1, 4, 23, 59, tzinfo=UTC),
                    "payload": b"\x00\xff",
                    "nothing": None,
                    "ratio": float("inf"),
                }
            ],
        ),
        CheckResult(
            name="freshness(at)",
            type="freshness",
            status=CheckStatus.ERROR,
            severity=Severity.WARN,
            message="could not run",
        ),
        CheckResult(
            name="row_count",
            type="row_count",
            status=CheckStatus.PASS,
            severity=Severity.ERROR,
            message="ok",
            observed=5_000_000,
        ),
    ]
    metrics = [
        MetricValue("row_count", 5_000_000.0),
        MetricValue("mean", float("nan"), "amount"),
        MetricValue("missing_percent", None, "discount"),
        MetricValue("stddev", 12.345678901234567, "amount"),
    ]
    datasets = [
        DatasetResult("orders", 5_000_000, 1.5, checks, metrics, {"order_id": "BIGINT", "é": "T"}),
        DatasetResult("empty", None, 0.1, [], [], {}),
    ]
    as_of = datetime(2026, 1, 5, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=2)))
    return Run(run_id, as_of, datetime(2026, 1, 5, 0, 0, 0), datetime(2026, 1, 5, 0, 1), datasets)


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every stored value with its SQLite storage class, table by table."""
    with sqlite3.connect(path) as conn:
        found = {}
        for table in TABLES:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            picks = ", ".join(f'"{c}", typeof("{c}")' for c in columns)
            found[table] = conn.execute(f"SELECT {picks} FROM {table} ORDER BY 1").fetchall()
        return found


def _current_store(path: Path) -> str:
    url = f"sqlite:///{path}"
    Store.open(url).close()  # creates the schema at the head revision
    return url


def test_writes_what_the_store_writes(tmp_path: Path) -> None:
    by_store, by_sqlite3 = tmp_path / "store.db", tmp_path / "sqlite3.db"
    with Store.open(f"sqlite:///{by_store}") as store:
        store.record_run(tricky_run())
        for dataset in tricky_run().datasets:
            if dataset.columns:
                run = tricky_run()
                store.monitoring.record_schema(
                    dataset.dataset, run.run_id, run.as_of, dataset.columns
                )
    recorder = open_current(_current_store(by_sqlite3))
    assert recorder is not None
    recorder.record(tricky_run())
    recorder.close()
    assert _rows(by_sqlite3) == _rows(by_store)
    with Store.open(f"sqlite:///{by_sqlite3}") as store:
        (stored,) = store.runs()
        assert stored.as_of == tricky_run().as_of
        assert [c.observed for c in store.check_history("orders")] == [5_000_000, None, 0.999998]


def test_a_run_id_is_recorded_once(tmp_path: Path) -> None:
    url = _current_store(tmp_path / "steward.db")
    for _ in range(2):
        recorder = open_current(url)
        assert recorder is not None
        recorder.record(tricky_run())
        recorder.close()
    counts = {table: len(rows) for table, rows in _rows(tmp_path / "steward.db").items()}
    assert counts == {"runs": 1, "check_results": 3, "metrics": 4, "schema_snapshots": 1}


def test_steps_aside_unless_the_store_is_a_current_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert open_current(f"sqlite:///{missing}") is None
    assert not missing.exists()  # creating a store is the migrations' job
    assert open_current("sqlite://") is None
    assert open_current("sqlite:///:memory:") is None
    assert open_current("postgresql://user@localhost/steward") is None
    url = _current_store(tmp_path / "steward.db")
    assert open_current(url + "?timeout=5") is None
    with sqlite3.connect(tmp_path / "steward.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    assert open_current(url) is None
    (tmp_path / "other.db").write_bytes(b"")
    assert open_current(f"sqlite:///{tmp_path / 'other.db'}") is None


def test_a_scan_into_a_current_store_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    write_project(tmp_path)
    # The first scan creates the store: migrations need SQLAlchemy.
    assert imports_sqlalchemy(tmp_path, "scan", "--format", "json")
    assert not imports_sqlalchemy(tmp_path, "scan", "--format", "json")
    with Store.open(f"sqlite:///{tmp_path / 'steward.db'}") as store:
        assert len(store.runs()) == 2
        (failed, _) = store.check_history("data")
        assert failed.failed_rows == 2


def test_waits_for_a_writer_that_records_between_its_read_and_its_write(tmp_path: Path) -> None:
    """Another process recording at the same moment must make this one wait, not fail.

    In WAL mode a transaction that has read cannot write once another connection has
    committed since (SQLITE_BUSY_SNAPSHOT, raised at once, whatever the busy timeout)."""
    url = _current_store(tmp_path / "steward.db")
    recorder = open_current(url)
    assert recorder is not None
    exists = recorder._exists
    failures: list[BaseException] = []

    def record_another() -> None:
        other = open_current(url)
        assert other is not None
        try:
            other.record(tricky_run("run-other"))
        except BaseException as error:
            failures.append(error)
        finally:
            other.close()

    other = threading.Thread(target=record_another)

    def exists_while_another_records(run_id: str) -> bool:
        found = exists(run_id)
        other.start()
        other.join(timeout=1)  # done at once, unless this transaction holds the write lock
        return found

    recorder._exists = exists_while_another_records  # type: ignore[method-assign]
    try:
        recorder.record(tricky_run("run-1"))
    finally:
        other.join()
        recorder.close()
    assert not failures
    with Store.open(url) as store:
        assert sorted(run.run_id for run in store.runs()) == ["run-1", "run-other"]
