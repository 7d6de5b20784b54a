"""``fetch_samples``: failing-row samples run on one DuckDB thread each, side by side, then
the setting is back."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sqlglot import exp

import datasteward.engines.duckdb as duckdb_engine
import datasteward.engines.postgres as postgres_engine
from datasteward.engines.base import QueryError, Rows, fetch_side_by_side
from datasteward.engines.dataframe import DataFrameEngine
from datasteward.engines.duckdb import DuckDBEngine
from datasteward.engines.postgres import PostgresEngine


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB samples side by side on two cursors, whatever this machine's CPU count."""
    monkeypatch.setattr(duckdb_engine, "SAMPLE_WORKERS", 2)


def _threads(engine: DuckDBEngine) -> int:
    row = engine.connection.execute("SELECT current_setting('threads')").fetchone()
    assert row is not None
    return int(row[0])


def test_samples_run_on_one_thread_each_side_by_side_and_the_setting_comes_back(
    two_workers: None,
) -> None:
    with DuckDBEngine() as engine:
        engine.connection.execute("SET threads = 3")
        seen: list[tuple[int, str]] = []
        fetch_on = engine._fetch_on
        both_started = threading.Barrier(2, timeout=10)  # no worker takes all four alone

        def noting(connection: object, query: exp.Expr) -> Rows:
            row = connection.execute("SELECT current_setting('threads')").fetchall()  # type: ignore[attr-defined]
            name = threading.current_thread().name
            if name not in {seen_name for _, seen_name in seen}:
                seen.append((int(row[0][0]), name))
                both_started.wait()
            else:
                seen.append((int(row[0][0]), name))
            return fetch_on(connection, query)

        engine._fetch_on = noting  # type: ignore[method-assign]
        queries = [
            exp.select("*").from_("range(100)").where(f"range % {n} = 0").limit(3)
            for n in (7, 11, 13, 17)
        ]
        answers = engine.fetch_samples(queries)
        assert [[r[0] for r in a.rows] for a in answers if isinstance(a, Rows)] == [
            [0, 7, 14],
            [0, 11, 22],
            [0, 13, 26],
            [0, 17, 34],
        ]
        assert {threads for threads, _ in seen} == {1}
        assert len({name for _, name in seen}) == 2  # two workers shared the four
        assert _threads(engine) == 3


def test_a_failing_sample_answers_with_its_error_and_the_others_still_run(
    two_workers: None,
) -> None:
    with DuckDBEngine() as engine:
        before = _threads(engine)
        good = exp.select("*").from_("range(10)").limit(2)
        answers = engine.fetch_samples(
            [good, exp.select("*").from_("no_such_table").limit(5), good]
        )
        assert isinstance(answers[1], QueryError)
        assert "no_such_table" in str(answers[1])
        assert [a.rows for a in answers if isinstance(a, Rows)] == [[(0,), (1,)], [(0,), (1,)]]
        assert _threads(engine) == before


def test_dataframe_samples_stay_on_the_connection_that_registered_the_frames(
    two_workers: None,
) -> None:
    frame = pa.table({"n": list(range(50))})
    with DataFrameEngine({"numbers": frame}) as engine:
        queries = [exp.select("n").from_("numbers").where(f"n % {d} = 1").limit(2) for d in (3, 5)]
        answers = engine.fetch_samples(queries)
        assert [a.rows for a in answers if isinstance(a, Rows)] == [[(1,), (4,)], [(1,), (6,)]]


def test_an_error_other_than_a_query_error_reaches_the_caller(two_workers: None) -> None:
    with DuckDBEngine() as engine:
        before = _threads(engine)
        fetch_on = engine._fetch_on
        runs: list[str] = []

        def failing(connection: object, query: exp.Expr) -> Rows:
            runs.append(query.sql())
            if "broken" in query.sql():
                raise RuntimeError("disk on fire")
            return fetch_on(connection, query)

        engine._fetch_on = failing  # type: ignore[method-assign]
        broken = exp.select("1 AS broken")
        with pytest.raises(RuntimeError, match="disk on fire"):
            engine.fetch_samples([exp.select("1 AS fine"), broken])
        assert runs.count(broken.sql()) == 1  # raised, not asked again
        assert _threads(engine) == before


@pytest.mark.parametrize("attempt", range(3))  # the races it guards against are rare
def test_ctrl_c_stops_samples_running_side_by_side(two_workers: None, attempt: int) -> None:
    with DuckDBEngine() as engine:
        before = _threads(engine)
        # Each would scan ten billion rows on one thread (minutes) and find nothing.
        endless = exp.select("*").from_("range(10000000000) AS t(n)").where("n < 0").limit(5)
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        clock = time.perf_counter()
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                engine.fetch_samples([endless, endless.copy()])
        finally:
            timer.cancel()
        assert time.perf_counter() - clock < 10
        # The workers have left their queries (a moment to exit after saying so): on Python
        # 3.11 a join that Ctrl-C interrupted could report a running worker as stopped.
        end = time.monotonic() + 2
        while any(t.name.startswith("samples-") for t in threading.enumerate()):
            assert time.monotonic() < end, threading.enumerate()
            time.sleep(0.01)
        assert _threads(engine) == before
        assert engine.fetch(exp.select("42 AS answer")).rows == [(42,)]  # still usable


def test_side_by_side_needs_a_fetcher() -> None:
    with pytest.raises(ValueError, match="fetcher"):
        fetch_side_by_side([exp.select("1")], [])


def test_overlapping_samples_on_one_database_leave_its_threads_as_they_were(
    tmp_path: Path,
) -> None:
    """``threads`` belongs to the database, which every connection to its file shares in a
    process: two scans of one file at once (the server's workers) must not leave it at 1."""
    path = tmp_path / "shared.duckdb"
    duckdb.connect(str(path)).close()
    first, second = DuckDBEngine(path), DuckDBEngine(path)
    first.connection.execute("SET threads = 3")
    assert _threads(second) == 3  # one database: one setting
    first_inside, second_inside, first_done = (threading.Event() for _ in range(3))
    query = exp.select("*").from_("range(10)").limit(2)

    def pause(engine: DuckDBEngine, before: Callable[[], None]) -> None:
        fetch = engine.fetch

        def paused(query: exp.Expr) -> object:
            before()
            return fetch(query)

        engine.fetch = paused  # type: ignore[method-assign]

    # ``first`` samples until ``second`` has started its own samples, which end last.
    pause(first, lambda: (first_inside.set(), second_inside.wait(timeout=5)))
    pause(second, lambda: (second_inside.set(), first_done.wait(timeout=5)))

    def second_samples() -> None:
        first_inside.wait(timeout=5)
        second.fetch_samples([query])

    other = threading.Thread(target=second_samples)
    other.start()
    try:
        first.fetch_samples([query])
    finally:
        first_done.set()
        other.join()
    assert _threads(first) == _threads(second) == 3
    first.close()
    second.close()


def test_postgres_samples_run_side_by_side_on_connections_set_up_like_the_first(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_engine, "SAMPLE_WORKERS", 2)
    engine = PostgresEngine(postgres_url)
    try:
        # Each query holds its connection for a while, so both connections get one.
        query = exp.select(
            "pg_backend_pid() AS pid",
            "current_setting('extra_float_digits') AS digits",
            "pg_sleep(0.3) IS NULL AS slept",
        )
        answers = engine.fetch_samples([query, query.copy(), exp.select("1 / 0 AS broken")])
        assert isinstance(answers[2], QueryError)
        rows = [a.rows[0] for a in answers[:2] if isinstance(a, Rows)]
        assert len({pid for pid, _, _ in rows}) == 2  # two server processes
        assert {digits for _, digits, _ in rows} == {"3"}  # doubles keep every digit
        extra = engine._sample_connections
        assert len(extra) == 1
        assert engine.fetch_samples([]) == []
        extra[0].close()  # as if the server had ended it: a new one takes its place
        again = engine.fetch_samples([query, query.copy()])
        assert all(isinstance(a, Rows) for a in again)
        assert len(engine._sample_connections) == 1
        assert not engine._sample_connections[0].closed
        extra = engine._sample_connections
    finally:
        engine.close()
    assert engine.connection.closed and extra[0].closed


def test_an_error_duckdb_raises_while_rows_are_fetched_is_a_query_error() -> None:
    """DuckDB may raise only when the rows are fetched (here in a later chunk than the
    first): that is the query's failure too, not the caller's crash."""
    with DuckDBEngine() as engine:
        late = exp.select(
            "CASE WHEN n > 5000 THEN CAST('x' || n AS INTEGER) ELSE n END AS v"
        ).from_("range(10000) AS t(n)")
        with pytest.raises(QueryError, match=r"(?i)convert|cast"):
            engine.fetch(late)
