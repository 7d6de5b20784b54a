"""``fetch_limited``: failing-row samples run on one DuckDB thread, then the setting is back."""

from __future__ import annotations

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
