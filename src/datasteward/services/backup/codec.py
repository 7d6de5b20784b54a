"""Arrow batches ⇄ chunk bytes, and re-batching a stream into chunk-sized pieces.

A chunk is one Arrow IPC stream (schema + one record batch): self-describing, exact for
every Arrow type (decimals, zoned timestamps, dates, blobs, unicode, NULLs). Its buffers
are zstd-compressed by Arrow itself (IPC body compression), so the repository stores it
without a second compression pass. Chunks written before that (uncompressed IPC, which
the repository compressed) read the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

__all__ = ["decode_chunk", "encode_chunk", "rebatch"]

# One thread per chunk: chunks are encoded on the writer threads, in parallel already.
_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd", use_threads=False)


def encode_chunk(batch: pa.RecordBatch) -> memoryview:
    """The batch as an Arrow IPC stream with zstd-compressed buffers (no extra copy)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema, options=_IPC_OPTIONS) as writer:
        writer.write_batch(batch)
    return memoryview(sink.getvalue())


def decode_chunk(data: bytes | memoryview) -> pa.RecordBatch:
    reader = pa.ipc.open_stream(pa.py_buffer(data))
    batches = list(reader)
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches, reader.schema).combine_chunks().to_batches()[0]


def rebatch(batches: Iterator[pa.RecordBatch], target_bytes: int) -> Iterator[pa.RecordBatch]:
    """Slices of about ``target_bytes`` (uncompressed); memory stays near that size."""
    pending: list[pa.RecordBatch] = []
    pending_bytes = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        row_bytes = max(1, batch.nbytes // batch.num_rows)
        offset = 0
        while offset < batch.num_rows:
            room_rows = max(1, (target_bytes - pending_bytes) // row_bytes)
            piece = batch.slice(offset, room_rows)
            offset += piece.num_rows
            pending.append(piece)
            pending_bytes += piece.num_rows * row_bytes
            if pending_bytes >= target_bytes:
                yield _combine(pending)
                pending, pending_bytes = [], 0
    if pending:
        yield _combine(pending)


def _combine(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    table = pa.Table.from_batches(batches).combine_chunks()
    return table.to_batches(max_chunksize=table.num_rows)[0]
