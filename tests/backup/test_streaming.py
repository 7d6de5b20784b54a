"""Batches handed to one DuckDB statement: pulled on the caller's thread, errors kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from datasteward.engines.duckdb import ArrowSource

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
