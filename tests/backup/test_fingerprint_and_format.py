"""The row fingerprint hashed by the engine equals the one hashed from Arrow batches, and
chunks written in the earlier format (uncompressed IPC, compressed by the repository)
still restore, alone and under deltas written in the current format."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasteward.repository import ChunkRef
from datasteward.services.backup import create
from datasteward.services.backup.fingerprint import Fingerprint, hashed_stream
from datasteward.services.sources import SourcePool

from .data import assert_same_data, sample_table
from .sources import DuckDBLive
from .workspace import Workspace


def arrow_fingerprint(table: pa.Table) -> str:
    """The fingerprint as Steward defined it from the start: DuckDB's hash of each Arrow row."""
    fingerprint = Fingerprint()
    try:
        for batch in table.to_batches(max_chunksize=7):
            fingerprint.add_batch(batch)
    finally:
        fingerprint.close()
    return fingerprint.value


def stream_of(ws: Workspace) -> tuple[bool, str]:
    """Whether the engine hashed the rows itself, and the fingerprint it streamed."""
    fingerprint = Fingerprint()
    with SourcePool(ws.project) as pool:
        ref = pool.dataset("orders")
        stream = hashed_stream(ref.engine, ref.relation, fingerprint)
        for _ in stream.batches():
            pass
    fingerprint.close()
    return stream.hashed, fingerprint.value


def test_every_source_fingerprints_its_rows_as_arrow_does(workspace: Workspace) -> None:
    workspace.put(sample_table(binary=workspace.live.kind != "csv"))
    hashed, value = stream_of(workspace)
    expected = arrow_fingerprint(workspace.read())
    assert value == expected
    assert workspace.backup().fingerprint == expected
    # DuckDB-based sources hash in their own query; the others hash the Arrow batches.
    assert hashed == (workspace.live.kind in {"parquet", "csv", "duckdb"})


@pytest.mark.parametrize(
    ("column", "engine_hashes"),
    [
        ("i::HUGEINT", False),
        ("i % 2 = 0", True),
        ("gen_random_uuid()::VARCHAR::UUID", False),
        ("(['x', 'y'][1 + i % 2])::ENUM('x', 'y')", False),
        ("to_days(i::INTEGER)", False),
        ("[i, i + 1]", False),
        ("{'a': i, 'b': 'text'}", False),
        ("'2026-01-01'::TIMESTAMP_NS + to_microseconds(i)", False),
        ("(i / 3)::DECIMAL(38, 5)", True),
        ("'2026-01-01 10:00:00+02'::TIMESTAMPTZ + to_hours(i)", True),
    ],
)
def test_types_that_do_not_round_trip_are_hashed_from_arrow(
    duckdb_workspace: Workspace, column: str, engine_hashes: bool
) -> None:
    ws = duckdb_workspace
    assert isinstance(ws.live, DuckDBLive)
    ws.live.sql(
        f"CREATE TABLE orders AS SELECT i AS id, {column} AS v, 'n' || i AS name FROM range(50) t(i)"
    )
    hashed, streamed = stream_of(ws)
    assert hashed == engine_hashes
    assert streamed == arrow_fingerprint(ws.read())


def old_format_store(self: create.ChunkWriter, batch: pa.RecordBatch) -> ChunkRef:
    """How chunks were written before: plain Arrow IPC, compressed by the repository."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return self.repository.put_chunk(sink.getvalue().to_pybytes())


def test_snapshots_in_the_earlier_chunk_format_still_restore(
    duckdb_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = duckdb_workspace
    first_rows = sample_table(300)
    ws.put(first_rows)
    old_rows = ws.read()
    with monkeypatch.context() as patch:
        patch.setattr(create.ChunkWriter, "_store", old_format_store)
        old = ws.backup()
        ws.put(pa.concat_tables([first_rows.slice(10, 250), sample_table(40, offset=900)]))
        old_delta = ws.backup()
    old_delta_rows = ws.read()
    ws.put(pa.concat_tables([first_rows.slice(30, 200), sample_table(25, offset=2000)]))
    new_delta = ws.backup()  # the current format, on a chain written in the old one
    new_delta_rows = ws.read()
    assert (old.kind, old_delta.kind, new_delta.kind) == ("full", "delta", "delta")
    assert new_delta.parent == old_delta.id

    for manifest, expected in (
        (old, old_rows),
        (old_delta, old_delta_rows),
        (new_delta, new_delta_rows),
    ):
        out = tmp_path / f"{manifest.id}.parquet"
        ws.restore(manifest, to_path=out)
        assert_same_data(pq.read_table(out), expected)
    assert ws.steward("verify", "--read-data").returncode == 0
