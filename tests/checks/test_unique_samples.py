"""``unique`` samples come from the keys the main query found, not from a second grouping.

The table ``duplicate_keys`` of cases.yml holds duplicated keys of every type (text with
the encoding's own separators, doubles, dates, timestamps with fractions, composite keys);
cases.yml checks the sampled rows. Here: on every engine, no sample query groups the
dataset again, and every sample is a real row whose key is duplicated.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlglot import exp

from datasteward.checks.unique import _decode, _split
from datasteward.config.loader import load_project
from datasteward.engines.base import Engine, Rows
from datasteward.model import CheckResult
from datasteward.services.scan import scan

from .conftest import ENGINES, Catalogue

CHECKS: list[dict[str, Any]] = [
    {"unique": {"column": "label", "samples": 10}},
    {"unique": {"columns": ["score"], "samples": 3}},
    {"unique": {"columns": ["label", "day"], "samples": 10}},
    {"unique": {"column": "at", "where": "id < 4"}},
]


# check name → (ids of the rows whose key is duplicated, samples asked for)
DUPLICATED_IDS = {
    "unique(label)": ({1, 2, 3, 4, 5, 6, 7, 8}, 10),
    "unique(score)": ({1, 2, 3, 4}, 3),
    "unique(label, day)": ({1, 2, 3, 4, 5, 6}, 10),
    "unique(at)": ({1, 2}, 5),  # where: id < 4
}


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[exp.Expr]]:
    """Every query any engine runs while the test scans."""
    seen: list[exp.Expr] = []
    original = Engine.fetch

    def spy(fetch: Any) -> Any:
        def fetch_and_note(self: Engine, *arguments: Any) -> Rows:
            seen.append(arguments[-1].copy())  # the query, after DuckDB's connection
            return fetch(self, *arguments)

        return fetch_and_note

    for engine in _engine_classes():
        # DuckDB fetches through ``_fetch_on`` (its samples run on cursors side by side).
        name = "_fetch_on" if "_fetch_on" in vars(engine) else "fetch"
        if name in vars(engine):
            monkeypatch.setattr(engine, name, spy(vars(engine)[name]))
    assert Engine.fetch is original
    yield seen


def _engine_classes() -> list[type[Engine]]:
    from datasteward.engines.dataframe import DataFrameEngine
    from datasteward.engines.duckdb import DuckDBEngine
    from datasteward.engines.postgres import PostgresEngine
    from datasteward.engines.sqlite import SQLiteEngine

    return [DuckDBEngine, SQLiteEngine, PostgresEngine, DataFrameEngine]


@pytest.mark.parametrize("engine", ENGINES)
def test_samples_are_duplicated_rows_without_a_second_grouping(
    engine: str, catalogue: Catalogue, queries: list[exp.Expr]
) -> None:
    results = catalogue.scanners[engine]("duplicate_keys", CHECKS, "samples")
    # The one aggregate query groups (in its scalar subqueries); the samples never do.
    sample_queries = [q for q in queries if q.args.get("limit") and q.args.get("order")]
    assert len(sample_queries) == len(CHECKS)
    assert not any(q.find(exp.Group) for q in sample_queries), [q.sql() for q in sample_queries]
    for result in results:
        assert result.status.value == "fail", result
        duplicated, samples = DUPLICATED_IDS[result.name]
        ids = [sample["id"] for sample in result.samples]
        assert len(set(ids)) == len(ids) == min(samples, len(duplicated)), result
        assert set(ids) <= duplicated, result


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("", 1, []),
        ("1:23:a:b1:11:/", 1, [("/",), ("a:b",)]),  # smallest first, by rank
        ("1:10:2:12", 2, [("", "12")]),
        ("1:12:👍x", 1, [("👍x",)]),
        ("1:19:short", 1, None),  # garbled: fall back to grouping again
        ("1:1x:1", 1, None),
        ("1:11:a", 2, None),
        ("1:a1:b", 1, None),  # a rank that is no number
    ],
)
def test_key_text_decoding(text: str, width: int, expected: list[tuple[str, ...]] | None) -> None:
    assert _decode(text, width) == expected


def test_counts_without_keys_still_read() -> None:
    assert _split("12/1:a") == (12, "1:a")
    assert _split(None) == (0, "")
    assert _split(7) == (7, "")


def test_a_failing_keyed_samples_query_falls_back_to_grouping(
    catalogue: Catalogue, queries: list[exp.Expr], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasteward.engines.duckdb import DuckDBEngine

    def uncomparable(self: Engine, value: exp.Expr) -> exp.Expr:
        return exp.Anonymous(this="no_such_function", expressions=[value])

    monkeypatch.setattr(DuckDBEngine, "text_key", uncomparable)
    (result,) = catalogue.scanners["duckdb"]("duplicate_keys", CHECKS[:1], "fallback")
    assert sorted(sample["id"] for sample in result.samples) == [1, 2, 3, 4, 5, 6, 7, 8]
    grouped_samples = [q for q in queries if q.args.get("order") and q.find(exp.Group)]
    assert len(grouped_samples) == 1  # the second try groups again, as before


def _scan_sqlite(folder: Path, rows: list[tuple[Any, ...]], check: dict[str, Any]) -> CheckResult:
    database = folder / "keys.sqlite"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE t (id INTEGER, x REAL, b BLOB, c TEXT COLLATE NOCASE, a)")
        connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
        connection.commit()
    config = {
        "version": 1,
        "sources": {"db": {"type": "sqlite", "path": str(database)}},
        "datasets": {"t": {"source": "db", "table": "t", "checks": [check]}},
    }
    path = folder / "steward.yml"
    path.write_text(json.dumps(config), encoding="utf-8")
    (result,) = scan(load_project(path), ["t"], record=False).datasets[0].checks
    return result


# Keys SQLite's CAST(... AS TEXT) cannot carry: doubles it rounds to 15 digits (two
# different values, one text) and blobs that are no UTF-8 (the driver cannot read them).
# And keys SQLite groups as equal though their texts differ: by the column's collation,
# or an integer and a real of one value in a column without a type.
SQLITE_KEYS = [
    pytest.param(
        "x", [(1, -2.5, *[None] * 3), (2, -2.5, *[None] * 3), (3, 2.5, *[None] * 3)], id="negative"
    ),
    # quote() writes Inf, no literal: the samples query groups again.
    pytest.param(
        "x",
        [(1, math.inf, *[None] * 3), (2, math.inf, *[None] * 3), (3, 1e308, *[None] * 3)],
        id="infinite",
    ),
    pytest.param(
        "x",
        [(1, 0.3, *[None] * 3), (2, 0.3, *[None] * 3), (3, 0.1 + 0.2, *[None] * 3)],
        id="close-doubles",
    ),
    pytest.param(
        "b",
        [
            (i, None, blob, None, None)
            for i, blob in ((1, b"\xff\x01"), (2, b"\xff\x01"), (3, b"\x00a"))
        ],
        id="blobs",
    ),
    pytest.param(
        "c",
        [(1, None, None, "a", None), (2, None, None, "A", None), (3, None, None, "b", None)],
        id="nocase",
    ),
    pytest.param(
        "a", [(1, *[None] * 3, 1), (2, *[None] * 3, 1.0), (3, *[None] * 3, 2)], id="int-and-real"
    ),
    pytest.param(
        "c",
        [(1, None, None, "it's", None), (2, None, None, "IT'S", None), (3, None, None, "it", None)],
        id="quotes",
    ),
]


@pytest.mark.parametrize(("column", "rows"), SQLITE_KEYS)
def test_sqlite_samples_only_rows_whose_key_is_duplicated(
    tmp_path: Path, column: str, rows: list[tuple[Any, ...]]
) -> None:
    result = _scan_sqlite(tmp_path, rows, {"unique": {"column": column, "samples": 5}})
    assert (result.status.value, result.failed_rows) == ("fail", 2), result
    assert sorted(sample["id"] for sample in result.samples) == [1, 2]
