"""The metadata store, run against a SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys
import time as clock
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from threading import Barrier
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

import datasteward.store
from datasteward.errors import ConfigError, SourceError
from datasteward.model import (
    CheckResult,
    CheckStatus,
    DatasetResult,
    MetricValue,
    Run,
    Severity,
)
from datasteward.store import HEAD_REVISION, CheckHistoryRow, MetricHistoryRow, Store
from datasteward.store.store import alembic_config
from datasteward.store.tables import check_results, jsonable, metadata, metrics, runs
from datasteward.store.url import create_store_engine, mask_url

DAY = datetime(2026, 1, 5, tzinfo=UTC)
SRC = Path(datasteward.store.__file__).parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty store: a SQLite file, or a database of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steward.db'}"
        return
    # The plain postgresql:// form users write, so the driver mapping is exercised too.
    server = request.getfixturevalue("postgres_url").replace("+psycopg", "", 1)
    name = f"steward_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened


def check(name: str, status: CheckStatus = CheckStatus.PASS, **fields: Any) -> CheckResult:
    severity = Severity.WARN if status is CheckStatus.WARN else Severity.ERROR
    return CheckResult(
        name=name,
        type=name.partition("(")[0],
        status=status,
        severity=severity,
        message=f"{name} is {status.value}",
        **fields,
    )


def make_run(run_id: str, as_of: datetime, datasets: list[DatasetResult] | None = None) -> Run:
    return Run(
        run_id=run_id,
        as_of=as_of,
        started_at=as_of + timedelta(minutes=1),
        finished_at=as_of + timedelta(minutes=2),
        datasets=[orders(), customers()] if datasets is None else datasets,
    )


def orders(row_count: float = 5_000_000.0, mean: float = 101.5) -> DatasetResult:
    return DatasetResult(
        dataset="orders",
        row_count=int(row_count),
        seconds=1.2,
        checks=[
            check(
                "unique(order_id)",
                CheckStatus.FAIL,
                column="order_id",
                observed=Decimal("5000012"),
                failed_rows=12,
                samples=[
                    {
                        "order_id": 17,
                        "amount": Decimal("12.50"),
                        "created_at": datetime(2026, 1, 4, 23, 59, tzinfo=UTC),
                        "payload": b"\x00\xff",
                    }
                ],
            ),
            check("freshness(created_at)", column="created_at", observed=DAY - timedelta(hours=1)),
            check("between(amount)", CheckStatus.WARN, column="amount", observed=Decimal("0.1")),
        ],
        metrics=[
            MetricValue("row_count", row_count),
            MetricValue("mean", mean, column="amount"),
            MetricValue("mean", 3.5, column="discount"),
            MetricValue("stddev", float("nan"), column="amount"),
        ],
    )


def customers() -> DatasetResult:
    return DatasetResult(
        dataset="customers",
        row_count=None,
        seconds=0.1,
        checks=[check("not_null(email)", CheckStatus.ERROR, column="email")],
        metrics=[MetricValue("row_count", None)],
    )


def test_round_trip_keeps_results_metrics_and_json_values(store: Store) -> None:
    run = make_run("run-1", DAY)
    store.record_run(run)

    assert [row.to_json() for row in store.runs()] == [
        {
            "run_id": "run-1",
            "as_of": "2026-01-05T00:00:00Z",
            "started_at": "2026-01-05T00:01:00Z",
            "finished_at": "2026-01-05T00:02:00Z",
            "summary": {"pass": 1, "fail": 1, "warn": 1, "error": 1},
        }
    ]
    history = store.check_history("orders")
    # One run, so the latest recorded result comes first.
    assert [r.name for r in history] == [
        "between(amount)",
        "freshness(created_at)",
        "unique(order_id)",
    ]
    between, freshness, unique = history
    assert unique == CheckHistoryRow(
        as_of=DAY,
        run_id="run-1",
        dataset="orders",
        name="unique(order_id)",
        type="unique",
        column="order_id",
        status=CheckStatus.FAIL,
        severity=Severity.ERROR,
        observed=5000012,
        failed_rows=12,
        message="unique(order_id) is fail",
        samples=[
            {
                "order_id": 17,
                "amount": 12.5,
                "created_at": "2026-01-04T23:59:00+00:00",
                "payload": "\\x00ff",
            }
        ],
    )
    assert freshness.observed == "2026-01-04T23:00:00+00:00"
    assert (between.status, between.severity, between.observed) == (
        CheckStatus.WARN,
        Severity.WARN,
        0.1,
    )
    assert store.check_history("customers")[0].observed is None
    assert store.metric_history("orders") == [
        MetricHistoryRow(DAY, "run-1", "orders", "stddev", "amount", None),
        MetricHistoryRow(DAY, "run-1", "orders", "mean", "discount", 3.5),
        MetricHistoryRow(DAY, "run-1", "orders", "mean", "amount", 101.5),
        MetricHistoryRow(DAY, "run-1", "orders", "row_count", None, 5_000_000.0),
    ]
    assert store.metric_history("customers")[0].value is None


def test_recording_a_run_twice_keeps_one_copy(store: Store, store_url: str) -> None:
    run = make_run("run-1", DAY)
    store.record_run(run)
    store.record_run(run)
    with Store.open(store_url) as again:
        again.record_run(run)

    assert len(store.runs()) == 1
    assert _count_rows(store_url) == {"runs": 1, "check_results": 4, "metrics": 5}


def test_concurrent_recording_of_one_run_keeps_one_copy(store: Store, store_url: str) -> None:
    run = make_run("run-1", DAY)
    barrier = Barrier(4)

    def record() -> None:
        barrier.wait()
        store.record_run(run)

    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(record) for _ in range(4)]:
            future.result()

    assert _count_rows(store_url) == {"runs": 1, "check_results": 4, "metrics": 5}


def test_history_is_newest_first_and_filters_by_metric_and_column(store: Store) -> None:
    for day in (2, 0, 1):
        run = make_run(f"run-{day}", DAY + timedelta(days=day), [orders(row_count=day, mean=day)])
        store.record_run(run)

    row_counts = store.metric_history("orders", metric="row_count")
    assert [(r.run_id, r.as_of.day, r.value) for r in row_counts] == [
        ("run-2", 7, 2.0),
        ("run-1", 6, 1.0),
        ("run-0", 5, 0.0),
    ]
    amount = store.metric_history("orders", metric="mean", column="amount", limit=2)
    assert [(r.column, r.value) for r in amount] == [("amount", 2.0), ("amount", 1.0)]
    assert {r.name for r in store.metric_history("orders", column="discount")} == {"mean"}
    assert [r.run_id for r in store.check_history("orders", check="unique(order_id)")] == [
        "run-2",
        "run-1",
        "run-0",
    ]
    assert len(store.check_history("orders", limit=4)) == 4
    assert store.check_history("nope") == []
    assert store.metric_history("orders", metric="nope") == []
    latest = store.latest_run()
    assert latest is not None
    assert latest.run_id == "run-2"
    assert [r.run_id for r in store.runs(limit=2)] == ["run-2", "run-1"]


def test_timestamps_are_stored_as_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    store.record_run(make_run("aware", datetime(2026, 1, 5, 2, tzinfo=paris)))
    store.record_run(make_run("naive", datetime(2026, 1, 6)))

    newest, oldest = store.runs()
    assert (newest.run_id, newest.as_of) == ("naive", datetime(2026, 1, 6, tzinfo=UTC))
    assert (oldest.run_id, oldest.as_of) == ("aware", DAY)
    assert oldest.as_of.tzinfo == UTC
    assert store.metric_history("orders")[-1].as_of == DAY


def test_empty_store_is_empty(store: Store) -> None:
    assert store.runs() == []
    assert store.latest_run() is None


def test_open_migrates_an_empty_database_to_the_tables(store: Store, store_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_store_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (HEAD_REVISION,)
            ]
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


def test_head_revision_constant_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_reopening_a_current_store_does_not_import_alembic(store_url: str, tmp_path: Path) -> None:
    Store.open(store_url).close()
    script = (
        "import sys\n"
        "from datasteward.store import Store\n"
        "Store.open(sys.argv[1]).close()\n"
        "reopened = 'alembic' in sys.modules\n"
        "Store.open(sys.argv[2]).close()\n"  # a new store, to show the probe can see alembic
        "print(reopened, 'alembic' in sys.modules)\n"
    )
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _python(script, store_url, fresh)
    assert result.stdout.split() == ["False", "True"], result.stderr


def test_concurrent_first_opens_all_succeed(store_url: str) -> None:
    script = (
        "import sys, time\n"
        "from datasteward.store import Store\n"
        "import alembic.command\n"  # imported up front so every process opens at once
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "Store.open(sys.argv[1]).close()\n"
    )
    start = str(clock.time() + 1.0)
    processes = [_popen(script, store_url, start) for _ in range(3)]
    errors = [process.communicate()[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], errors

    engine = create_store_engine(store_url)
    try:
        with engine.connect() as conn:
            revisions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert revisions == [(HEAD_REVISION,)]


def test_a_newer_schema_is_refused(store_url: str) -> None:
    Store.open(store_url).close()
    engine = create_store_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    with pytest.raises(SourceError, match="newer than this version"):
        Store.open(store_url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://steward:s3cret-pw@127.0.0.1:1/steward",
        "postgresql://steward:s3cret-pw@/steward?host=/nonexistent/socket/dir",
    ],
)
def test_an_unreachable_store_raises_source_error_without_the_password(url: str) -> None:
    with pytest.raises(SourceError) as caught:
        Store.open(url)

    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "steward:***@" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url", ["mysql://root:s3cret-pw@localhost/steward", "://root:s3cret-pw@localhost/x"]
)
def test_an_unsupported_store_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Store.open(url)
    assert "s3cret-pw" not in str(caught.value)


def test_sqlite_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open("sqlite:///.steward/steward.db") as store:
        monkeypatch.chdir(tmp_path.parent)
        store.record_run(make_run("run-1", DAY))
    assert (tmp_path / ".steward" / "steward.db").is_file()
    with Store.open(f"sqlite:///{tmp_path / '.steward' / 'steward.db'}") as store:
        assert [r.run_id for r in store.runs()] == ["run-1"]


def test_an_sqlite_folder_that_cannot_be_created_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(SourceError, match="cannot create the folder"):
        Store.open(f"sqlite:///{tmp_path / 'file' / 'steward.db'}")


def test_in_memory_sqlite_store_works() -> None:
    with Store.open("sqlite://") as store:
        store.record_run(make_run("run-1", DAY))
        assert len(store.check_history("orders")) == 3


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:pw@db:5432/shop", "postgresql://app:***@db:5432/shop"),
        ("postgresql://app@db/shop?password=pw", "postgresql://app@db/shop?password=***"),
        ("postgresql://app:pw@/shop?host=/tmp/pg", "postgresql://app:***@/shop?host=/tmp/pg"),
        ("sqlite:///.steward/steward.db", "sqlite:///.steward/steward.db"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (None, None),
        ("text", "text"),
        (True, True),
        (7, 7),
        (1.5, 1.5),
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (Decimal("5000012"), 5000012),
        (Decimal("12.50"), 12.5),
        (Decimal("3.14159265358979323846"), "3.14159265358979323846"),
        (Decimal("NaN"), "NaN"),
        (datetime(2026, 1, 5, 12, 30, tzinfo=UTC), "2026-01-05T12:30:00+00:00"),
        (date(2026, 1, 5), "2026-01-05"),
        (time(12, 30), "12:30:00"),
        (timedelta(minutes=90), 5400.0),
        (b"\x00\xff", "\\x00ff"),
        (bytearray(b"a"), "\\x61"),
        (memoryview(b"a"), "\\x61"),
        (UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (CheckStatus.FAIL, "fail"),
        ({"a": (1, Decimal("2.5")), 3: {b"\x01"}}, {"a": [1, 2.5], "3": ["\\x01"]}),
        (Path("data/orders.csv"), "data/orders.csv"),
    ],
)
def test_jsonable(value: Any, stored: Any) -> None:
    assert jsonable(value) == stored


def test_jsonable_numpy_scalars() -> None:
    numpy = pytest.importorskip("numpy")
    assert jsonable([numpy.int64(3), numpy.float32(0.5), numpy.bool_(True)]) == [3, 0.5, True]


def _count_rows(url: str) -> dict[str, int]:
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (runs, check_results, metrics)
            }
    finally:
        engine.dispose()


def _python_env() -> dict[str, str]:
    paths = [str(SRC), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def _python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=_python_env(),
        timeout=60,
        check=False,
    )


def _popen(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_python_env(),
    )
