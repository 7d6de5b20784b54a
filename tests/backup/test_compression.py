"""``backups.compression``: chunks are written with the configured codec (LZ4 frame or
zstd inside Arrow IPC), and a repository holding chunks of both restores, verifies and
deduplicates as one."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasteward.config.models import BackupsConfig
from datasteward.services.backup.catalog import open_repository
from datasteward.services.backup.manifest import Manifest

from .data import assert_same_data, sample_table
from .sources import DuckDBLive
from .workspace import Workspace

# Each compressed IPC buffer is its uncompressed length, then one frame of the codec.
FRAME_MAGIC = {"lz4": b"\x04\x22\x4d\x18", "zstd": b"\x28\xb5\x2f\xfd"}


def codecs_of(ws: Workspace, manifest: Manifest) -> set[str]:
    """The codecs whose frames the snapshot's chunks hold."""
    repository = open_repository(ws.project, create=False)
    found = set()
    for chunk_id in manifest.data_chunks + manifest.delete_chunks:
        data = bytes(repository.get_chunk(chunk_id))
        found |= {codec for codec, magic in FRAME_MAGIC.items() if magic in data}
    return found


def use(ws: Workspace, compression: str) -> None:
    ws.backups = {**ws.backups, "compression": compression}
    ws.configure(list(ws.datasets), keys={"orders": ["id"]})


def test_the_default_is_lz4() -> None:
    assert BackupsConfig().compression == "lz4"


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_chunks_of_both_codecs_restore_verify_and_dedupe(
    duckdb_workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    encrypted: bool,
) -> None:
    ws = duckdb_workspace
    if encrypted:
        ws.encrypt(monkeypatch)
    rows = sample_table(300)
    expected: list[tuple[Manifest, pa.Table]] = []

    use(ws, "zstd")  # snapshots taken before lz4 became the default
    ws.put(rows)
    old_full = ws.backup()
    expected.append((old_full, ws.read()))
    ws.put(pa.concat_tables([rows.slice(10, 250), sample_table(40, offset=900)]))
    old_delta = ws.backup()
    expected.append((old_delta, ws.read()))

    use(ws, "lz4")
    ws.put(pa.concat_tables([rows.slice(30, 200), sample_table(25, offset=2000)]))
    new_delta = ws.backup()  # an lz4 delta on a zstd chain
    expected.append((new_delta, ws.read()))
    new_full = ws.backup(force_full=True)
    expected.append((new_full, ws.read()))
    again = ws.backup(force_full=True)

    assert [m.kind for m, _ in expected] == ["full", "delta", "delta", "full"]
    assert new_delta.parent == old_delta.id
    assert codecs_of(ws, old_full) == codecs_of(ws, old_delta) == {"zstd"}
    assert codecs_of(ws, new_delta) == codecs_of(ws, new_full) == {"lz4"}
    assert again.data_chunks == new_full.data_chunks and again.bytes_added == 0

    for manifest, table in expected:
        out = tmp_path / f"{manifest.id}.parquet"
        ws.restore(manifest, to_path=out)
        assert_same_data(pq.read_table(out), table)
    assert isinstance(ws.live, DuckDBLive)
    for manifest, table in expected:
        ws.restore(manifest, to_table="restored")
        assert_same_data(ws.read("restored"), table)
        ws.live.sql("DROP TABLE restored")
    assert ws.steward("verify", "--read-data").returncode == 0
