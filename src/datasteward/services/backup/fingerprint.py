"""An order-independent content fingerprint of a table, computed by DuckDB.

The fingerprint is the row count and the sum of 64-bit row hashes: equal multisets of
rows give equal fingerprints whatever their order, so a snapshot replayed from a full
snapshot and its deltas can be checked against the data it was taken from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = ["Fingerprint", "quoted", "row_hash_sql"]


def row_hash_sql(columns: list[str], alias: str = "") -> str:
    """DuckDB's hash over every column, in column order (identifiers quoted by SQLGlot)."""
    from sqlglot import exp

    values = [exp.column(c, table=alias or None, quoted=True) for c in columns]
    call = exp.Anonymous(this="hash", expressions=values or [exp.Literal.number(1)])
    return call.sql("duckdb")


def quoted(name: str) -> str:
    """An identifier quoted for DuckDB."""
    from sqlglot import exp

    return exp.to_identifier(name, quoted=True).sql("duckdb")


class Fingerprint:
    """Accumulates count and hash sum over Arrow batches or a scratch table."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.rows = 0
        self.total = 0

    def add_batch(self, batch: pa.RecordBatch) -> None:
        self.connection.register("fingerprint_batch", batch)
        try:
            self._add(
                f"SELECT count(*), sum({row_hash_sql(batch.schema.names)}::HUGEINT) FROM fingerprint_batch"
            )
        finally:
            self.connection.unregister("fingerprint_batch")

    def add_table(self, table: str, columns: list[str]) -> None:
        self._add(f"SELECT count(*), sum({row_hash_sql(columns)}::HUGEINT) FROM {quoted(table)}")

    def add_table_in(
        self, connection: duckdb.DuckDBPyConnection, table: str, columns: list[str]
    ) -> None:
        """Add a table that lives in another DuckDB connection (a scratch database)."""
        self._add(
            f"SELECT count(*), sum({row_hash_sql(columns)}::HUGEINT) FROM {quoted(table)}",
            connection,
        )

    def _add(self, sql: str, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        rows, total = (connection or self.connection).execute(sql).fetchall()[0]
        self.rows += int(rows or 0)
        self.total = (self.total + int(total or 0)) % (1 << 128)

    @property
    def value(self) -> str:
        return f"rows={self.rows};hashsum={self.total:032x}"
