"""Reading a snapshot's chunks as Arrow batches, fetched and decoded ahead on threads.

Fetching, authenticating, decompressing, decoding and hashing a chunk release the GIL,
so two threads keep the consumer (a file writer, a DuckDB statement) fed; a few chunks
ahead at most, so memory stays bounded by the chunk size.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from datasteward.services.backup.codec import decode_chunk
from datasteward.services.backup.fingerprint import Fingerprint, row_hash_sql

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from datasteward.repository import Repository

__all__ = ["chunk_batches"]

WORKERS = 2
AHEAD = 4


def chunk_batches(
    repository: Repository,
    chunk_ids: list[str],
    schema: pa.Schema,
    on_chunk: Callable[[int], None] | None = None,
    fingerprint: Fingerprint | None = None,
) -> Iterator[pa.RecordBatch]:
    """The chunks' rows in order, each batch cast to ``schema``; a damaged or missing
    chunk raises ``RepositoryCorrupt`` when its turn comes. With ``fingerprint``, every
    row is added to it (hashed on the reading threads)."""
    if not chunk_ids:
        return
    hashers = _Hashers() if fingerprint is not None else None

    def load(chunk_id: str) -> tuple[int, pa.RecordBatch, int]:
        data = repository.get_chunk(chunk_id)
        batch = decode_chunk(data).cast(schema)
        return len(data), batch, hashers.hash_sum(batch) if hashers else 0

    pending: deque[Future[tuple[int, pa.RecordBatch, int]]] = deque()
    remaining = iter(chunk_ids)
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="steward-read") as pool:
        try:
            for chunk_id in remaining:
                pending.append(pool.submit(load, chunk_id))
                if len(pending) >= AHEAD:
                    break
            while pending:
                size, batch, total = pending.popleft().result()
                next_id = next(remaining, None)
                if next_id is not None:
                    pending.append(pool.submit(load, next_id))
                if on_chunk:
                    on_chunk(size)
                if fingerprint is not None:
                    fingerprint.add(batch.num_rows, total)
                yield batch
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
            if hashers:
                hashers.close()


class _Hashers:
    """One DuckDB connection per reading thread, summing the fingerprint's row hashes."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._connections: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()

    def hash_sum(self, batch: pa.RecordBatch) -> int:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            import duckdb

            connection = self._local.connection = duckdb.connect()
            connection.execute("SET threads = 1")  # one per reading thread already
            with self._lock:
                self._connections.append(connection)
        connection.register("steward_chunk", batch)
        try:
            query = f"SELECT {row_hash_sql(batch.schema.names)} FROM steward_chunk"
            hashes = connection.sql(query).to_arrow_table().column(0)
        finally:
            connection.unregister("steward_chunk")
        total = Fingerprint()
        for piece in hashes.chunks:
            total.add_hashes(piece)
        return total.total

    def close(self) -> None:
        for connection in self._connections:
            connection.close()
