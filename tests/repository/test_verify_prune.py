"""verify finds every kind of damage; prune deletes only what no snapshot needs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from datasteward.errors import ExitCode
from datasteward.repository import Repository, RepositoryCorrupt

from .conftest import reopen, snapshot


def flip_byte(path: Path, where: float) -> None:
    data = bytearray(path.read_bytes())
    position = min(int(len(data) * where), len(data) - 1)
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def chunk_file(repo: Repository, chunk_id: str) -> Path:
    return Path(repo.location, "chunks", chunk_id[:2], chunk_id)


def test_a_healthy_repository_verifies_clean(repo: Repository) -> None:
    snapshot(repo, "s1", b"a" * 100, b"b" * 100)
    snapshot(repo, "s2", b"a" * 100, b"c" * 100, parent="s1")
    calls: list[tuple[int, int]] = []
    report = repo.verify(read_data=True, progress=lambda done, total: calls.append((done, total)))
    assert report.ok and report.messages() == []
    assert (report.snapshots, report.chunks, report.chunks_read) == (2, 3, 3)
    assert report.unreferenced_chunks == 0
    assert calls[-1] == (5, 5)


@pytest.mark.parametrize("where", [0.0, 0.5, 1.0])
def test_a_flipped_byte_in_a_chunk_and_in_a_manifest_is_named(
    repo: Repository, where: float
) -> None:
    damaged, healthy = snapshot(repo, "s1", os.urandom(5000), os.urandom(5000))
    snapshot(repo, "s2", b"other")
    flip_byte(chunk_file(repo, damaged), where)
    flip_byte(Path(repo.location, "snapshots", "s2"), where)

    report = reopen(repo).verify(read_data=True)
    assert not report.ok
    assert list(report.damaged_chunks) == [damaged]
    assert "used by s1" in report.damaged_chunks[damaged]
    assert list(report.damaged_snapshots) == ["s2"]
    assert any(damaged in line for line in report.messages())
    with pytest.raises(RepositoryCorrupt, match=f"chunk {damaged}") as caught:
        repo.get_chunk(damaged)
    assert caught.value.exit_code == ExitCode.CHECKS_FAILED
    with pytest.raises(RepositoryCorrupt, match="snapshot s2"):
        repo.read_manifest("s2")
    assert repo.get_chunk(healthy)
    assert [manifest["id"] for manifest in repo.manifests()] == ["s1"]


def test_structure_check_alone_does_not_read_chunks(repo: Repository) -> None:
    (chunk_id,) = snapshot(repo, "s1", b"payload" * 100)
    flip_byte(chunk_file(repo, chunk_id), 0.5)
    assert repo.verify().ok
    assert not repo.verify(read_data=True).ok


def test_a_chunk_renamed_to_another_id_is_caught(repo: Repository) -> None:
    first, second = snapshot(repo, "s1", b"first", b"second")
    chunk_file(repo, second).write_bytes(chunk_file(repo, first).read_bytes())
    report = repo.verify(read_data=True)
    assert list(report.damaged_chunks) == [second]


def test_a_missing_chunk_and_a_missing_parent_are_reported(repo: Repository) -> None:
    kept, lost = snapshot(repo, "s1", b"kept", b"lost")
    snapshot(repo, "s2", b"kept", parent="gone")
    chunk_file(repo, lost).unlink()

    report = repo.verify()
    assert not report.ok
    assert report.damaged_chunks == {lost: "missing (used by s1)"}
    assert report.missing_parents == {"s2": "gone"}
    with pytest.raises(RepositoryCorrupt, match="missing"):
        repo.get_chunk(lost)
    assert repo.get_chunk(kept) == b"kept"


def test_a_damaged_config_is_reported(repo: Repository) -> None:
    snapshot(repo, "s1", b"x")
    Path(repo.location, "config").write_text("{broken")
    assert repo.verify().config_problems == ("the config file is damaged",)


def test_prune_deletes_only_unreferenced_chunks(repo: Repository) -> None:
    shared, only_old = snapshot(repo, "old", b"shared" * 100, b"only old" * 100)
    (only_new,) = snapshot(repo, "new", b"only new" * 100)
    snapshot(repo, "newer", b"shared" * 100, parent="new")
    repo.put_chunk(b"written by a backup that never finished")
    repo.delete_manifest("old")

    plan = repo.prune(dry_run=True)
    assert (plan.chunks_deleted, plan.chunks_kept) == (2, 2)
    assert len(repo.chunk_ids()) == 4  # a dry run deletes nothing

    done = repo.prune()
    assert (done.chunks_deleted, done.bytes_deleted) == (plan.chunks_deleted, plan.bytes_deleted)
    assert repo.chunk_ids() == {shared, only_new}
    assert only_old not in repo.chunk_ids()
    assert repo.verify(read_data=True).ok
    assert repo.lock_holder() is None


def test_prune_removes_temp_files_that_verify_ignores(repo: Repository) -> None:
    (chunk_id,) = snapshot(repo, "s1", b"data")
    leftovers = [
        Path(repo.location, "chunks", chunk_id[:2], ".tmp-killed"),
        Path(repo.location, "snapshots", ".tmp-killed"),
    ]
    for leftover in leftovers:
        leftover.write_bytes(b"half a write")
    report = repo.verify(read_data=True)
    assert report.ok and report.temp_files == 2 and report.unreferenced_chunks == 0
    assert repo.prune().temp_files_deleted == 2
    assert not any(leftover.exists() for leftover in leftovers)
    assert repo.chunk_ids() == {chunk_id}


def test_prune_refuses_while_a_manifest_is_damaged(repo: Repository) -> None:
    (chunk_id,) = snapshot(repo, "s1", b"data")
    flip_byte(Path(repo.location, "snapshots", "s1"), 0.5)
    with pytest.raises(RepositoryCorrupt, match="cannot prune"):
        repo.prune()
    assert repo.chunk_ids() == {chunk_id}


def test_prune_inside_a_held_lock(repo: Repository) -> None:
    snapshot(repo, "s1", b"data")
    with repo.writer_lock(purpose="forget"):
        repo.delete_manifest("s1")
        assert repo.prune().chunks_deleted == 1
        assert repo.lock_holder() is not None
    assert repo.lock_holder() is None
