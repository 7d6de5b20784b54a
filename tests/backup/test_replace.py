"""``restore --replace``: confirmation, a safety snapshot first, and all-or-nothing writes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from datasteward.errors import SourceError
from datasteward.repository import RepositoryCorrupt
from datasteward.services.backup import Manifest, open_repository

from .data import assert_same_data, fingerprint, sample_table
from .workspace import Workspace


def test_replace_without_yes_and_without_a_terminal_changes_nothing(
    duckdb_workspace: Workspace,
) -> None:
    ws = duckdb_workspace
    ws.put(sample_table())
    ws.backup()
    ws.put(sample_table(30, offset=100))
    live = ws.read()
    result = ws.steward("restore", "orders", "--replace")  # stdin is not a terminal
    assert result.returncode == 2, result.describe()
    assert "--yes" in result.error_line()
    assert_same_data(ws.read(), live)
    assert len(ws.snapshots()) == 1  # no safety snapshot either


def test_replace_takes_a_tagged_safety_snapshot_first(
    duckdb_workspace: Workspace, tmp_path: Path
) -> None:
    ws = duckdb_workspace
    ws.put(sample_table())
    target = ws.backup()
    restored = ws.read()
    ws.put(sample_table(30, offset=100))
    replaced = ws.read()

    def safety() -> str:
        return ws.backup(tags=["before-restore"]).id

    result = ws.restore(target, replace=True, take_safety_snapshot=safety)
    assert result.safety_snapshot is not None
    (taken,) = [m for m in ws.snapshots() if m.id == result.safety_snapshot]
    assert taken.tags == ["before-restore"]
    ws.restore(taken, to_path=tmp_path / "safety.parquet")
    assert_same_data(pq.read_table(tmp_path / "safety.parquet"), replaced)
    assert_same_data(ws.read(), restored)


def lying_copy(ws: Workspace, manifest: Manifest) -> Manifest:
    """A well-formed, correctly sealed manifest whose fingerprint does not match its chunks:
    damage that no authentication tag can see, only the restore's final check."""
    hashsum = manifest.fingerprint.split("hashsum=")[1]
    wrong = f"rows={manifest.rows};hashsum={(int(hashsum, 16) + 1) % (1 << 128):032x}"
    lie = dataclasses.replace(manifest, id=manifest.id[:-8] + "0badf00d", fingerprint=wrong)
    open_repository(ws.project).write_manifest(lie.id, lie.to_dict())
    return lie


@pytest.mark.parametrize("target", ["replace", "to_table"])
def test_a_restore_that_does_not_match_its_fingerprint_writes_nothing(
    workspace: Workspace, target: str, tmp_path: Path
) -> None:
    binary = workspace.live.kind != "csv"
    workspace.put(sample_table(binary=binary))
    lie = lying_copy(workspace, workspace.backup())
    workspace.put(sample_table(30, binary=binary, offset=100))
    before = fingerprint(workspace.read())
    out = tmp_path / "out.parquet"
    attempts: list[dict[str, object]] = (
        [{"replace": True}, {"to_path": out}]
        if target == "replace"
        else [{"to_table": workspace.live.table_name("restored")}]
    )
    for options in attempts:
        with pytest.raises(RepositoryCorrupt, match="does not rebuild"):
            workspace.restore(lie, **options)
        assert fingerprint(workspace.read()) == before
    assert not out.exists()
    if target == "to_table":
        with pytest.raises(SourceError, match=r"(?i)not found|no file|does not exist"):
            workspace.read("restored")
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []


def test_a_new_duckdb_table_is_hashed_once_in_place_of_every_batch(
    duckdb_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restoring to a new DuckDB table checks the fingerprint in the table, inside the
    transaction; ``--replace`` (the live table's own types) still hashes the batches."""
    import datasteward.services.backup.restore as restore_module

    hashed: list[bool] = []
    chunk_batches = restore_module.chunk_batches

    def noting(*arguments: Any, **options: Any) -> Any:
        hashed.append(options.get("fingerprint") is not None)
        return chunk_batches(*arguments, **options)

    monkeypatch.setattr(restore_module, "chunk_batches", noting)
    duckdb_workspace.put(sample_table())
    manifest = duckdb_workspace.backup()
    duckdb_workspace.restore(manifest, to_table="restored")
    duckdb_workspace.restore(manifest, replace=True)
    assert hashed == [False, True]
    assert fingerprint(duckdb_workspace.read("restored")) == fingerprint(duckdb_workspace.read())


def test_a_broken_chain_fails_before_the_safety_snapshot(duckdb_workspace: Workspace) -> None:
    """--replace of a delta whose parent is gone must fail before it snapshots the live
    data: the safety snapshot would be taken for a restore that cannot happen."""
    from datasteward.repository.errors import SnapshotNotFound

    ws = duckdb_workspace
    ws.put(sample_table(20))
    full = ws.backup()
    ws.put(sample_table(21))
    delta = ws.backup()
    assert delta.kind == "delta" and delta.parent == full.id
    (ws.repository / "snapshots" / full.id).unlink()
    taken: list[str] = []

    def safety() -> str:
        taken.append("safety")
        return ws.backup(tags=["before-restore"]).id

    with pytest.raises(SnapshotNotFound):
        ws.restore(delta, replace=True, take_safety_snapshot=safety)
    assert taken == []
    assert [m.id for m in ws.snapshots()] == [delta.id]
