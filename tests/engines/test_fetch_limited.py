"""``fetch_limited``: failing-row samples run on one DuckDB thread, then the setting is back."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from datasteward.engines.base import QueryError
from datasteward.engines.duckdb import DuckDBEngine


def _threads(engine: DuckDBEngine) -> int:
    row = engine.connection.execute("SELECT current_setting('threads')").fetchone()
    assert row is not None
    return int(row[0])


def test_samples_run_on_one_thread_and_the_setting_comes_back() -> None:
    with DuckDBEngine() as engine:
        engine.connection.execute("SET threads = 3")
        seen: list[int] = []
        fetch = engine.fetch

        def noting(query: exp.Expr) -> object:
            seen.append(_threads(engine))
            return fetch(query)

        engine.fetch = noting  # type: ignore[method-assign]
        query = exp.select("*").from_("range(100)").where("range % 7 = 0").limit(5)
        rows = engine.fetch_limited(query)
        assert [r[0] for r in rows.rows] == [0, 7, 14, 21, 28]
        assert seen == [1]
        assert _threads(engine) == 3


def test_the_setting_comes_back_after_a_failing_query() -> None:
    with DuckDBEngine() as engine:
        before = _threads(engine)
        with pytest.raises(QueryError):
            engine.fetch_limited(exp.select("*").from_("no_such_table").limit(5))
        assert _threads(engine) == before


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
        second.fetch_limited(query)

    other = threading.Thread(target=second_samples)
    other.start()
    try:
        first.fetch_limited(query)
    finally:
        first_done.set()
        other.join()
    assert _threads(first) == _threads(second) == 3
    first.close()
    second.close()
