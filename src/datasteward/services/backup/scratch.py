"""A scratch DuckDB on local disk where snapshots are rebuilt and compared.

Memory is capped and DuckDB spills to its temp folder, so replaying or diffing a table
of any size needs memory of the order of a chunk, not of the table.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from datasteward.services.backup.codec import decode_chunk
from datasteward.services.backup.fingerprint import quoted, row_hash_sql

# Names of the row identity columns in scratch tables and delete chunks; unusual enough
# not to meet a user's column.
H1, H2, COUNT, RANK = "steward_h1", "steward_h2", "steward_n", "steward_rank"


def identity_sql(columns: list[str]) -> str:
    """Two independent 64-bit hashes of a row (columns forward and backward)."""
    return f"{row_hash_sql(columns)} AS {H1}, {row_hash_sql(list(reversed(columns)))} AS {H2}"


if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from datasteward.repository import Repository
    from datasteward.services.backup.manifest import Manifest

__all__ = ["COUNT", "H1", "H2", "RANK", "Scratch", "identity_sql"]

MEMORY_LIMIT = "384MB"


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
        self._batch_number = 0

    def close(self) -> None:
        self.connection.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading -------------------------------------------------------------------
    def create_empty(self, table: str, schema: pa.Schema) -> None:
        import pyarrow as pa

        empty = pa.Table.from_batches([], schema=schema)
        self.connection.register("empty_source", empty)
        self.connection.execute(
            f"CREATE OR REPLACE TABLE {quoted(table)} AS SELECT * FROM empty_source"
        )
        self.connection.unregister("empty_source")

    def append(self, table: str, batch: pa.RecordBatch) -> None:
        self.connection.register("append_source", batch)
        try:
            self.connection.execute(f"INSERT INTO {quoted(table)} SELECT * FROM append_source")
        finally:
            self.connection.unregister("append_source")

    def load(self, table: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        """Create ``table`` from a stream of batches; returns the Arrow bytes loaded."""
        self.create_empty(table, schema)
        loaded = 0
        for batch in batches:
            self.append(table, batch)
            loaded += batch.nbytes
        return loaded

    # -- snapshots -----------------------------------------------------------------
    def materialize(
        self,
        repository: Repository,
        chain: list[Manifest],
        table: str,
        on_chunk: Callable[[int], None] | None = None,
    ) -> None:
        """Rebuild the last snapshot of ``chain`` (a full one, then its deltas) as ``table``."""
        full, deltas = chain[0], chain[1:]
        schema = full.arrow_schema
        self.load(table, schema, self._chunks(repository, full.data_chunks, on_chunk))
        for delta in deltas:
            self._apply(repository, delta, table, on_chunk)

    def _chunks(
        self, repository: Repository, chunk_ids: list[str], on_chunk: Callable[[int], None] | None
    ) -> Iterable[pa.RecordBatch]:
        for chunk_id in chunk_ids:
            data = repository.get_chunk(chunk_id)
            if on_chunk:
                on_chunk(len(data))
            yield decode_chunk(data)

    def _apply(
        self,
        repository: Repository,
        delta: Manifest,
        table: str,
        on_chunk: Callable[[int], None] | None,
    ) -> None:
        import pyarrow as pa

        schema = delta.arrow_schema
        columns = schema.names
        deletes_schema = pa.schema([(H1, pa.uint64()), (H2, pa.uint64()), (COUNT, pa.int64())])
        self.load(
            "delta_deletes", deletes_schema, self._chunks(repository, delta.delete_chunks, on_chunk)
        )
        self.load("delta_upserts", schema, self._chunks(repository, delta.data_chunks, on_chunk))
        select = ", ".join(quoted(c) for c in columns)
        select_x = ", ".join("x." + quoted(c) for c in columns)
        # Identities are multiset entries: drop `n` copies of each deleted identity.
        self.connection.execute(
            f"""
            CREATE OR REPLACE TABLE delta_result AS
            WITH hashed AS (SELECT *, {identity_sql(columns)} FROM {quoted(table)}),
                 kept AS (
                    SELECT {select} FROM hashed ANTI JOIN delta_deletes USING ({H1}, {H2})
                 ),
                 thinned AS (
                    SELECT {select_x} FROM (
                        SELECT hashed.*, row_number() OVER (PARTITION BY {H1}, {H2}) AS {RANK}
                        FROM hashed SEMI JOIN delta_deletes USING ({H1}, {H2})
                    ) x JOIN delta_deletes d USING ({H1}, {H2}) WHERE x.{RANK} > d.{COUNT}
                 )
            SELECT * FROM kept
            UNION ALL SELECT * FROM thinned
            UNION ALL SELECT {select} FROM delta_upserts
            """
        )
        self.connection.execute(f"DROP TABLE {quoted(table)}")
        self.connection.execute(f"ALTER TABLE delta_result RENAME TO {quoted(table)}")
        self.connection.execute("DROP TABLE delta_deletes")
        self.connection.execute("DROP TABLE delta_upserts")

    def stream(self, sql: str, batch_rows: int = 65_536) -> pa.RecordBatchReader:
        return self.connection.sql(sql).to_arrow_reader(batch_rows)
