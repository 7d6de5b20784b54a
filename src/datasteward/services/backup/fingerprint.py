"""An order-independent content fingerprint of a table, computed by DuckDB.

The fingerprint is the row count and the sum of 64-bit row hashes: equal multisets of
rows give equal fingerprints whatever their order, so a snapshot replayed from a full
snapshot and its deltas can be checked against the data it was taken from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from sqlglot import exp

    from datasteward.engines.base import Engine

__all__ = [
    "ROW_HASH",
    "Fingerprint",
    "HashedStream",
    "fingerprint_value",
    "hash_sum_query",
    "hashed_stream",
    "quoted",
    "row_hash",
    "row_hash_sql",
]

# The name of the engine-side row hash column (the same expression as a row's first
# identity in scratch tables); unusual enough not to meet a user's column.
ROW_HASH = "steward_h1"


def row_hash(columns: list[str], alias: str = "") -> exp.Expr:
    """DuckDB's hash over every column, in column order."""
    from sqlglot import exp

    values: list[exp.Expr] = [exp.column(c, table=alias or None, quoted=True) for c in columns]
    return exp.Anonymous(this="hash", expressions=values or [exp.Literal.number(1)])


def hash_sum_query(table: exp.Expr, columns: list[str]) -> exp.Select:
    """``SELECT count(*), sum(row hash)`` over ``table``: a fingerprint's two numbers."""
    from sqlglot import exp

    row_sum = exp.Sum(this=exp.cast(row_hash(columns), "HUGEINT"))
    return exp.select(exp.Count(this=exp.Star()), row_sum).from_(table)


def row_hash_sql(columns: list[str], alias: str = "") -> str:
    """``row_hash`` rendered for DuckDB (identifiers quoted by SQLGlot)."""
    return row_hash(columns, alias).sql("duckdb")


def quoted(name: str) -> str:
    """An identifier quoted for DuckDB."""
    from sqlglot import exp

    return exp.to_identifier(name, quoted=True).sql("duckdb")


class Fingerprint:
    """Accumulates count and hash sum over Arrow batches or a scratch table."""

    def __init__(self, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self._connection = connection
        self.rows = 0
        self.total = 0

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB that hashes batches (an in-memory one, opened when first needed)."""
        if self._connection is None:
            import duckdb

            self._connection = duckdb.connect()
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    def add_batch(self, batch: pa.RecordBatch) -> None:
        from sqlglot import exp

        self.connection.register("fingerprint_batch", batch)
        try:
            query = hash_sum_query(exp.to_table("fingerprint_batch"), batch.schema.names)
            self._add(query.sql("duckdb"))
        finally:
            self.connection.unregister("fingerprint_batch")

    def add(self, rows: int, total: int) -> None:
        """Add rows whose count and hash sum were computed elsewhere."""
        self.rows += rows
        self.total = (self.total + total) % (1 << 128)

    def add_hashes(self, hashes: pa.Array) -> None:
        """Add rows whose row hashes (uint64, no NULLs) were computed already."""
        import numpy as np

        # Read through the buffer protocol: ``to_numpy`` would import pandas (0.2 s).
        data = hashes.buffers()[1]
        assert data is not None and hashes.null_count == 0
        values = np.frombuffer(data, dtype=np.uint64, count=len(hashes), offset=hashes.offset * 8)
        # Summed as high and low 32-bit halves: neither sum can overflow 64 bits.
        high = int((values >> np.uint64(32)).sum(dtype=np.uint64))
        low = int((values & np.uint64(0xFFFFFFFF)).sum(dtype=np.uint64))
        self.add(len(values), (high << 32) + low)

    def _add(self, sql: str, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        rows, total = (connection or self.connection).execute(sql).fetchall()[0]
        self.rows += int(rows or 0)
        self.total = (self.total + int(total or 0)) % (1 << 128)

    @property
    def value(self) -> str:
        return fingerprint_value(self.rows, self.total)


def fingerprint_value(rows: int, total: int) -> str:
    """The fingerprint as manifests record it: row count and hash sum (mod 2**128)."""
    return f"rows={rows};hashsum={total % (1 << 128):032x}"


class HashedStream:
    """A dataset's rows as Arrow batches of ``schema``, fingerprinted as they pass."""

    def __init__(self, reader: pa.RecordBatchReader, fingerprint: Fingerprint, hashed: bool):
        self.reader = reader
        self.fingerprint = fingerprint
        self.hashed = hashed  # the engine computes the row hash as the last column
        self.schema: pa.Schema = (
            reader.schema.remove(len(reader.schema) - 1) if hashed else reader.schema
        )

    def batches(self, *, fingerprint: bool = True) -> Iterator[pa.RecordBatch]:
        """The rows (without the hash column); ``fingerprint`` False skips the hashing."""
        for batch in self.reader:
            if self.hashed:
                if fingerprint:
                    self.fingerprint.add_hashes(batch.column(batch.num_columns - 1))
                batch = batch.drop_columns([ROW_HASH])
            elif fingerprint:
                self.fingerprint.add_batch(batch)
            yield batch


def hashed_stream(engine: Engine, relation: exp.Expr, fingerprint: Fingerprint) -> HashedStream:
    """Stream every row of ``relation``; the engine hashes the rows when it can do so exactly."""
    from sqlglot import exp

    plain = exp.select("*").from_(relation.copy())
    if engine.dialect == "duckdb":
        columns = engine.columns(relation)
        names = [column.name for column in columns]
        if ROW_HASH not in names and all(_ROUND_TRIPS.fullmatch(c.type) for c in columns):
            query = plain.select(row_hash(names).as_(ROW_HASH, quoted=True))
            return HashedStream(engine.stream(query), fingerprint, hashed=True)
    return HashedStream(engine.stream(plain), fingerprint, hashed=False)


# DuckDB types that leave DuckDB as Arrow and come back as the same type and value, so
# DuckDB's hash of the source row equals its hash of the streamed row. (Others, such as
# HUGEINT, UUID, ENUM, INTERVAL or nested types, come back as another type: their rows are
# hashed from the Arrow batches instead.) Checked against every source by the tests.
_ROUND_TRIPS = re.compile(
    r"BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT"
    r"|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|VARCHAR|BLOB|DATE|TIME|TIMESTAMP"
    r"|TIMESTAMP WITH TIME ZONE"
)
