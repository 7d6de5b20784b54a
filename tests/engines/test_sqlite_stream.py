"""SQLite types values, not columns: streams must still have one Arrow type per column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlglot import exp

from datasteward.engines.sqlite import SQLiteEngine


def test_a_numeric_column_with_integers_then_reals_streams_as_double(tmp_path: Path) -> None:
    path = tmp_path / "mixed.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (a NUMERIC, b TEXT, c BLOB)")
        rows = [(1, "x", b"1")] * 3 + [(1.5, None, None), (None, 5, b"2")]
        connection.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    engine = SQLiteEngine(path)
    try:
        table = engine.stream(exp.select("*").from_("t"), batch_rows=2).read_all()
    finally:
        engine.close()
    assert [str(t) for t in table.schema.types] == ["double", "string", "binary"]
    assert table.column("a").to_pylist() == [1.0, 1.0, 1.0, 1.5, None]
    assert table.column("b").to_pylist() == ["x", "x", "x", None, "5"]
