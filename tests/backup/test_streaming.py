"""Batches handed to one DuckDB statement: pulled on the caller's thread, errors kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest
from sqlglot import exp

from datasteward.engines.duckdb import ArrowSource, _write_duckdb

SCHEMA = pa.schema([("n", pa.int64()), ("text", pa.string())])


def batches(count: int, *, fail_at: int | None = None) -> Iterator[pa.RecordBatch]:
    for i in range(count):
        if i == fail_at:
            raise LookupError("chunk 3 is damaged")
        yield pa.record_batch(
            [pa.array(range(i * 100, i * 100 + 100)), pa.array([f"row {i}"] * 100)], schema=SCHEMA
        )


def test_every_batch_is_pulled_on_the_calling_thread_and_counted() -> None:
    threads: set[int] = set()

    def watched() -> Iterator[pa.RecordBatch]:
        for batch in batches(50):
            threads.add(threading.get_ident())
            yield batch

    source = ArrowSource(SCHEMA, watched())
    with duckdb.connect() as connection:
        source.run(connection, "rows_in", "CREATE TABLE t AS SELECT * FROM rows_in")
        assert connection.execute("SELECT count(*), sum(n) FROM t").fetchall() == [
            (5000, sum(range(5000)))
        ]
    assert threads == {threading.get_ident()}
    assert source.rows == 5000 and source.bytes > 0


def test_a_failing_producer_raises_its_own_error_and_leaves_no_table() -> None:
    source = ArrowSource(SCHEMA, batches(10, fail_at=3))
    with duckdb.connect() as connection:
        with pytest.raises(LookupError, match="chunk 3 is damaged"):
            source.run(connection, "rows_in", "CREATE TABLE t AS SELECT * FROM rows_in")
        tables = connection.execute("SELECT count(*) FROM duckdb_tables()").fetchall()
        assert tables == [(0,)]
        # The connection stays usable, and the name can be used again.
        ArrowSource(SCHEMA, batches(2)).run(
            connection, "rows_in", "CREATE TABLE t AS SELECT * FROM rows_in"
        )
        assert connection.execute("SELECT count(*) FROM t").fetchall() == [(200,)]


def test_a_failing_statement_stops_the_producer_and_raises_duckdbs_error() -> None:
    pulled = 0

    def endless() -> Iterator[pa.RecordBatch]:
        nonlocal pulled
        while True:
            pulled += 1
            yield from batches(1)

    with duckdb.connect() as connection:
        source = ArrowSource(SCHEMA, endless())
        with pytest.raises(duckdb.ConversionException):
            source.run(connection, "rows_in", "CREATE TABLE t AS SELECT text::INTEGER FROM rows_in")
    assert pulled < 1000


class Refused(Exception):
    pass


def refuse() -> None:
    raise Refused("fingerprint mismatch")


@pytest.mark.parametrize("preserved", [True, False])
@pytest.mark.parametrize("verdict", ["commit", "refused", "producer fails"])
def test_a_table_write_is_atomic_and_leaves_insertion_order_as_it_was(
    preserved: bool, verdict: str
) -> None:
    """The restore's INSERT runs without preserving insertion order (the setting belongs
    to the whole database, which scans share), and the setting comes back however it ends."""
    with duckdb.connect() as connection:
        connection.execute(f"SET preserve_insertion_order = {str(preserved).lower()}")
        rows = batches(30, fail_at=20 if verdict == "producer fails" else None)
        before_commit = refuse if verdict == "refused" else lambda: None
        expected = {"commit": None, "refused": Refused, "producer fails": LookupError}[verdict]
        table = exp.to_table("restored")
        if expected is None:
            written = _write_duckdb(
                connection, table, SCHEMA, rows, create=True, before_commit=before_commit
            )
            assert written == 3000
            assert connection.execute("SELECT count(*), sum(n) FROM restored").fetchall() == [
                (3000, sum(range(3000)))
            ]
        else:
            with pytest.raises(expected):
                _write_duckdb(
                    connection, table, SCHEMA, rows, create=True, before_commit=before_commit
                )
            tables = connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            assert tables == []
        setting = "SELECT current_setting('preserve_insertion_order')"
        assert connection.execute(setting).fetchone() == (preserved,)
