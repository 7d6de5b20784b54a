"""One GROUP BY per column: top values, distinct count, sorted positions and bins."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlglot import exp

from datasteward.engines.base import Engine
from datasteward.engines.duckdb import DuckDBEngine
from datasteward.engines.sqlite import SQLiteEngine
from datasteward.services.profile.distribution import distribution_query, read_distribution
from datasteward.services.profile.queries import Binning, ProfiledColumn, contingency_query

TABLE = exp.to_table('"t"')
VALUES = [3, 1, 3, None, 2, 3, 1, 7, None, 7]  # sorted: 1 1 2 3 3 3 7 7
PAIRS = (
    "INSERT INTO pairs VALUES ('x', 'p', 'u'), ('x', 'q', 'u'), ('y', 'p', NULL),"
    " ('y', 'p', 'v'), (NULL, 'q', 'v'), ('x', 'p', 'v')"
)


@pytest.fixture(params=["duckdb", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    rows = ", ".join(f"({'NULL' if v is None else v})" for v in VALUES)
    engine: Engine
    if request.param == "duckdb":
        duck = DuckDBEngine(None, label="memory")
        duck.connection.execute(f"CREATE TABLE t AS SELECT * FROM (VALUES {rows}) v(x)")
        duck.connection.execute(f"CREATE TABLE pairs (a TEXT, b TEXT, n TEXT); {PAIRS}")
        engine = duck
    else:
        path = tmp_path / "t.sqlite"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE t (x INTEGER)")
            connection.execute(f"INSERT INTO t VALUES {rows}")
            connection.execute("CREATE TABLE pairs (a TEXT, b TEXT, n TEXT)")
            connection.execute(PAIRS)
        engine = SQLiteEngine(path)
    yield engine
    engine.close()


def test_one_query_reads_the_frequencies_four_ways(engine: Engine) -> None:
    column = ProfiledColumn(0, "x", "INTEGER", "numeric")
    positions = list(range(1, 9))
    binning = Binning.of(1, 7, 3, integer=True)  # [1, 4) [4, 7) [7, 7]
    query = distribution_query(TABLE, column, 3, positions, binning)
    found = read_distribution(engine.fetch(query).rows, positions)
    assert found.distinct == 4
    assert found.top == [(3, 3), (1, 2), (7, 2)]  # ties by value
    assert found.at == {1: 1, 2: 1, 3: 2, 4: 3, 5: 3, 6: 3, 7: 7, 8: 7}
    assert found.bins == {0: 6, 2: 2}


def test_a_single_bin_and_no_positions(engine: Engine) -> None:
    column = ProfiledColumn(0, "x", "INTEGER", "numeric")
    query = distribution_query(TABLE, column, 10, [], Binning.of(1, 1, 20, integer=True))
    found = read_distribution(engine.fetch(query).rows, [])
    assert found.bins == {0: 8} and found.at == {} and len(found.top) == 4


def test_contingency_tables_are_the_same_counted_jointly_or_per_pair(engine: Engine) -> None:
    a, b, n = ProfiledColumn.of(engine.columns(exp.to_table("pairs")))
    pairs = [(a, b), (a, n), (b, n)]  # n: a column named like the joint count
    jointly, separately = (
        sorted(engine.fetch(contingency_query(exp.to_table("pairs"), pairs, joint=j)).rows)
        for j in (True, False)
    )
    assert jointly == separately
    assert [row for row in jointly if row[0] == 0] == [
        (0, "x", "p", 2),
        (0, "x", "q", 1),
        (0, "y", "p", 2),
    ]


def test_text_extremes_and_lengths_come_from_the_distinct_values(engine: Engine) -> None:
    b = ProfiledColumn.of(engine.columns(exp.to_table("pairs")))[1]  # p q p p q p
    query = distribution_query(exp.to_table("pairs"), b, 1, length=engine.length(exp.column("v")))
    found = read_distribution(engine.fetch(query).rows, [])
    assert (found.low, found.high, found.lengths) == ("p", "q", (1, 1, 6))
    assert found.top == [("p", 4)] and found.distinct == 2
