"""A scratch DuckDB on local disk where snapshots are rebuilt and compared.

Memory is capped and DuckDB spills to its temp folder, so replaying or diffing a table
of any size needs memory of the order of a chunk, not of the table. Every load is one
statement over an Arrow stream (chunks are read and decoded on threads ahead of it), and
row identities are computed in that same statement.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from datasteward.services.backup.chunks import chunk_batches
from datasteward.services.backup.fingerprint import ROW_HASH, quoted, row_hash_sql

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from datasteward.repository import Repository
    from datasteward.services.backup.manifest import Manifest

__all__ = ["COUNT", "H1", "H2", "RANK", "Scratch", "identity_sql"]

# Names of the row identity columns in scratch tables and delete chunks; unusual enough
# not to meet a user's column. H1 is the fingerprint's row hash.
H1, H2, COUNT, RANK = ROW_HASH, "steward_h2", "steward_n", "steward_rank"

# The scratch spills beyond this. With the source engine's DuckDB and Python beside it, a
# delta of a 5M-row table peaked at 610-680 MB here (780-800 MB with 256-384 MB).
MEMORY_LIMIT = "160MB"


def identity_sql(columns: list[str]) -> str:
    """Two independent 64-bit hashes of a row (columns forward and backward)."""
    return f"{row_hash_sql(columns)} AS {H1}, {row_hash_sql(list(reversed(columns)))} AS {H2}"


class Scratch:
    def __init__(self) -> None:
        import duckdb

        self.folder = Path(tempfile.mkdtemp(prefix="steward-scratch-"))
        self.connection: duckdb.DuckDBPyConnection = duckdb.connect(
            str(self.folder / "scratch.duckdb")
        )
        self.connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.connection.execute(f"SET temp_directory = '{self.folder / 'spill'}'")
        self.connection.execute("SET preserve_insertion_order = false")
        self.connection.execute("SET enable_progress_bar = false")

    def close(self) -> None:
        self.connection.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading -------------------------------------------------------------------
    def load(
        self,
        table: str,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        *,
        select: str = "*",
        insert: bool = False,
    ) -> int:
        """Create (or ``insert`` into) ``table`` from a stream of batches, in one statement;
        ``select`` is the select list over the stream. Returns the Arrow bytes loaded."""
        from datasteward.engines.duckdb import ArrowSource

        source = ArrowSource(schema, batches)
        query = f"SELECT {select} FROM steward_source"
        if insert:
            statement = f"INSERT INTO {quoted(table)} {query}"
        else:
            statement = f"CREATE OR REPLACE TABLE {quoted(table)} AS {query}"
        source.run(self.connection, "steward_source", statement)
        return source.bytes

    def load_with_identities(
        self, table: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
    ) -> int:
        """``load`` plus the row identity columns ``H1``, ``H2`` (computed in the same pass)."""
        return self.load(table, schema, batches, select=f"*, {identity_sql(schema.names)}")

    # -- snapshots -----------------------------------------------------------------
    def materialize(
        self,
        repository: Repository,
        chain: list[Manifest],
        table: str,
        on_chunk: Callable[[int], None] | None = None,
        *,
        keep_identities: bool = False,
    ) -> None:
        """Rebuild the last snapshot of ``chain`` (a full one, then its deltas) as ``table``.

        With ``keep_identities`` the table keeps its ``H1``/``H2`` columns (when it has
        deltas: a full snapshot alone is loaded without them)."""
        full, deltas = chain[0], chain[1:]
        schema = full.arrow_schema
        rows = chunk_batches(repository, full.data_chunks, schema, on_chunk)
        if not deltas:
            self.load(table, schema, rows)
            return
        self.load_with_identities(table, schema, rows)
        for delta in deltas:
            self._apply(repository, delta, table, on_chunk)
        if not keep_identities:
            self.connection.execute(f"ALTER TABLE {quoted(table)} DROP COLUMN {H1}")
            self.connection.execute(f"ALTER TABLE {quoted(table)} DROP COLUMN {H2}")

    def _apply(
        self,
        repository: Repository,
        delta: Manifest,
        table: str,
        on_chunk: Callable[[int], None] | None,
    ) -> None:
        """Apply one delta in place: drop ``n`` copies of each deleted identity, add rows."""
        schema = delta.arrow_schema
        self.load(
            "delta_deletes",
            deletes_schema(),
            chunk_batches(repository, delta.delete_chunks, deletes_schema(), on_chunk),
        )
        name = quoted(table)
        self.connection.execute(
            f"""
            DELETE FROM {name} WHERE rowid IN (
                SELECT steward_rowid FROM (
                    SELECT t.rowid AS steward_rowid, {H1}, {H2},
                           row_number() OVER (PARTITION BY {H1}, {H2}) AS {RANK}
                    FROM {name} t SEMI JOIN delta_deletes USING ({H1}, {H2})
                ) x JOIN delta_deletes d USING ({H1}, {H2})
                WHERE x.{RANK} <= d.{COUNT}
            )
            """
        )
        self.connection.execute("DROP TABLE delta_deletes")
        upserts = chunk_batches(repository, delta.data_chunks, schema, on_chunk)
        self.load(table, schema, upserts, select=f"*, {identity_sql(schema.names)}", insert=True)

    def identity_counts(self, repository: Repository, chain: list[Manifest], table: str) -> None:
        """The last snapshot of ``chain`` as a multiset of row identities: ``table`` holds
        ``H1, H2, COUNT``, one row per distinct identity (rows themselves are not kept)."""
        full, deltas = chain[0], chain[1:]
        schema = full.arrow_schema
        self.load(
            table,
            schema,
            chunk_batches(repository, full.data_chunks, schema),
            select=f"{identity_sql(schema.names)}",
        )
        self._count(table, f"SELECT {H1}, {H2}, 1 AS {COUNT} FROM {quoted(table)}")
        for delta in deltas:
            self.load(
                "delta_deletes",
                deletes_schema(),
                chunk_batches(repository, delta.delete_chunks, deletes_schema()),
            )
            self.load(
                "delta_adds",
                delta.arrow_schema,
                chunk_batches(repository, delta.data_chunks, delta.arrow_schema),
                select=f"{identity_sql(delta.arrow_schema.names)}",
            )
            self._count(
                table,
                f"SELECT {H1}, {H2}, {COUNT} FROM {quoted(table)}"
                f" UNION ALL SELECT {H1}, {H2}, -{COUNT} FROM delta_deletes"
                f" UNION ALL SELECT {H1}, {H2}, 1 FROM delta_adds",
            )
            self.connection.execute("DROP TABLE delta_deletes")
            self.connection.execute("DROP TABLE delta_adds")

    def _count(self, table: str, entries: str) -> None:
        self.connection.execute(
            f"CREATE OR REPLACE TABLE {quoted(table)} AS"
            f" SELECT {H1}, {H2}, sum({COUNT})::BIGINT AS {COUNT} FROM ({entries})"
            f" GROUP BY {H1}, {H2} HAVING sum({COUNT}) > 0"
        )

    def stream(self, sql: str, batch_rows: int = 65_536) -> pa.RecordBatchReader:
        return self.connection.sql(sql).to_arrow_reader(batch_rows)


def deletes_schema() -> pa.Schema:
    """The schema of delete chunks: a row identity and how many copies of it to drop."""
    import pyarrow as pa

    return pa.schema([(H1, pa.uint64()), (H2, pa.uint64()), (COUNT, pa.int64())])
