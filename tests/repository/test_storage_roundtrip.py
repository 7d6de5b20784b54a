"""Chunks and manifests go in and come back out, deduplicated and, if asked, encrypted."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasteward.errors import ConfigError, ExitCode
from datasteward.repository import (
    NotEncrypted,
    Repository,
    RepositoryCorrupt,
    RepositoryUnavailable,
    SnapshotNotFound,
    WrongPassphrase,
    keys,
)

from .conftest import PASSPHRASE, reopen, snapshot


def test_chunks_and_manifests_round_trip(repo: Repository) -> None:
    data = b"order_id,amount\n" + os.urandom(10_000)
    ref = repo.put_chunk(data)
    repo.write_manifest("s1", {"dataset": "orders", "chunks": [ref.id], "rows": 3})

    again = reopen(repo)
    assert again.get_chunk(ref.id) == data
    assert again.read_manifest("s1") == {
        "id": "s1",
        "dataset": "orders",
        "chunks": [ref.id],
        "rows": 3,
    }
    assert again.snapshot_ids() == ["s1"]
    assert again.chunk_ids() == {ref.id}
    assert again.has_chunk(ref.id) and not again.has_chunk("0" * 64)
    assert [manifest["id"] for manifest in again.manifests()] == ["s1"]
    assert ref.size == len(data) and ref.stored > 0


def test_equal_data_is_stored_once(repo: Repository) -> None:
    first = repo.put_chunk(b"same bytes" * 100)
    second = repo.put_chunk(b"same bytes" * 100)
    assert second.id == first.id
    assert (first.stored > 0, second.stored) == (True, 0)
    assert len(repo.chunk_ids()) == 1


def test_chunk_ids_are_keyed_per_repository(tmp_path: Path) -> None:
    one = Repository.open(tmp_path / "one").put_chunk(b"x")
    two = Repository.open(tmp_path / "two").put_chunk(b"x")
    assert one.id != two.id


def test_an_encrypted_repository_holds_no_plaintext(tmp_path: Path) -> None:
    markers = [b"alice.secret@example.com", b"orders_confidential", b"credit_card_number"]

    def fill(repo: Repository) -> None:
        snapshot(
            repo,
            "s1",
            markers[0] * 50,
            b"\n".join(markers) + os.urandom(1000),
            dataset="orders_confidential",
            columns=["credit_card_number"],
        )

    def contents(root: Path) -> bytes:
        return b"".join(path.read_bytes() for path in root.rglob("*") if path.is_file())

    fill(Repository.open(tmp_path / "plain"))
    fill(Repository.open(tmp_path / "secret", passphrase=PASSPHRASE))
    assert all(marker in contents(tmp_path / "plain") for marker in markers)  # the probe works
    secret = contents(tmp_path / "secret")
    assert not [marker for marker in markers if marker in secret]
    assert b"id_key" not in (tmp_path / "secret" / "config").read_bytes()


def test_missing_passphrase_is_one_clear_error(tmp_path: Path) -> None:
    Repository.open(tmp_path, passphrase=PASSPHRASE)
    with pytest.raises(WrongPassphrase, match="is encrypted") as caught:
        Repository.open(tmp_path)
    assert caught.value.exit_code == ExitCode.USAGE
    assert "passphrase_env" in str(caught.value)


def test_wrong_passphrase_is_one_clear_error(tmp_path: Path, real_kdf: None) -> None:
    Repository.open(tmp_path, passphrase=PASSPHRASE)
    with pytest.raises(WrongPassphrase, match="wrong passphrase") as caught:
        Repository.open(tmp_path, passphrase="not it")
    assert "\n" not in str(caught.value)
    kdf = json.loads((tmp_path / "config").read_text())["keys"]["kdf"]
    assert (kdf["name"], kdf["memory_kib"], kdf["iterations"], kdf["lanes"]) == (
        "argon2id",
        65536,
        3,
        1,
    )


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WrongPassphrase, match="empty"):
        Repository.open(tmp_path, passphrase="")
    assert not (tmp_path / "config").exists()


def test_a_passphrase_for_an_unencrypted_repository_is_refused(tmp_path: Path) -> None:
    Repository.open(tmp_path)
    with pytest.raises(NotEncrypted, match="not encrypted"):
        Repository.open(tmp_path, passphrase=PASSPHRASE)
    assert issubclass(NotEncrypted, ConfigError)


def test_create_false_needs_an_existing_repository(tmp_path: Path) -> None:
    with pytest.raises(RepositoryUnavailable, match="no backup repository"):
        Repository.open(tmp_path, create=False)


def test_chunks_without_a_config_are_not_silently_reinitialised(tmp_path: Path) -> None:
    repo = Repository.open(tmp_path)
    repo.put_chunk(b"data")
    (tmp_path / "config").unlink()
    with pytest.raises(RepositoryCorrupt, match="no config"):
        Repository.open(tmp_path)


def test_file_urls_and_paths_open_the_same_repository(tmp_path: Path) -> None:
    ref = Repository.open(tmp_path).put_chunk(b"via a path")
    assert Repository.open(tmp_path.as_uri()).get_chunk(ref.id) == b"via a path"


def test_manifests_are_never_overwritten(repo: Repository) -> None:
    repo.write_manifest("s1", {"chunks": []})
    with pytest.raises(FileExistsError):
        repo.write_manifest("s1", {"chunks": ["other"]})
    assert repo.read_manifest("s1")["chunks"] == []


@pytest.mark.parametrize("bad", ["../config", "a/b", "", ".tmp-x"])
def test_snapshot_ids_cannot_escape_the_folder(repo: Repository, bad: str) -> None:
    with pytest.raises(ValueError):
        repo.write_manifest(bad, {})
    with pytest.raises(SnapshotNotFound):
        repo.read_manifest(bad)


def test_deleting_forgets_a_snapshot_and_a_chunk(repo: Repository) -> None:
    (chunk_id,) = snapshot(repo, "s1", b"piece")
    repo.delete_manifest("s1")
    repo.delete_chunk(chunk_id)
    repo.delete_manifest("s1")  # twice is fine
    assert (repo.snapshot_ids(), repo.chunk_ids()) == ([], set())
    with pytest.raises(SnapshotNotFound):
        repo.read_manifest("s1")


def test_an_fsspec_memory_repository_round_trips() -> None:
    location = f"memory://steward-{uuid.uuid4().hex}"
    repo = Repository.open(location, passphrase=PASSPHRASE)
    with repo.writer_lock():
        ids = snapshot(repo, "s1", b"one" * 1000, b"two" * 1000, b"one" * 1000)
    assert ids[0] == ids[2] and len(repo.chunk_ids()) == 2

    again = Repository.open(location, passphrase=PASSPHRASE, create=False)
    assert [again.get_chunk(chunk_id) for chunk_id in ids[:2]] == [b"one" * 1000, b"two" * 1000]
    assert again.read_manifest("s1")["chunks"] == ids
    assert again.verify(read_data=True).ok
    again.delete_manifest("s1")
    assert again.prune().chunks_deleted == 2
    assert again.chunk_ids() == set() and again.lock_holder() is None


@pytest.fixture(scope="module")
def property_repos(tmp_path_factory: pytest.TempPathFactory) -> list[Repository]:
    root = tmp_path_factory.mktemp("property")
    return [
        Repository.open(root / "plain"),
        Repository.open(root / "encrypted", passphrase=PASSPHRASE),
    ]


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=20_000), snapshot_number=st.integers(0, 10**9))
def test_any_bytes_round_trip(
    property_repos: list[Repository], data: bytes, snapshot_number: int
) -> None:
    for repo in property_repos:
        ref = repo.put_chunk(data)
        assert repo.get_chunk(ref.id) == data
        assert ref.id == repo.put_chunk(data).id
        snapshot_id = f"p{snapshot_number}-{uuid.uuid4().hex}"
        manifest = {"chunks": [ref.id], "note": data.decode("latin-1")}
        repo.write_manifest(snapshot_id, manifest)
        assert repo.read_manifest(snapshot_id) == {**manifest, "id": snapshot_id}


@pytest.mark.parametrize("size", [0, 1, 128 * 1024 - 1, 128 * 1024, 128 * 1024 + 1, 700_001])
def test_raw_zstd_frames_decode_with_plain_zstd(size: int) -> None:
    import zstandard

    data = os.urandom(size)
    frame = keys.raw_zstd_frame(data)
    assert zstandard.ZstdDecompressor().decompress(frame) == data
    assert zstandard.ZstdDecompressor().stream_reader(frame).read() == data
    assert len(frame) - size <= 13 + 3 * (size // (128 * 1024) + 1)  # headers only


def test_compressed_chunks_are_stored_without_a_second_pass(repo: Repository) -> None:
    data = os.urandom(300_000)  # stands for data compressed already
    ref = repo.put_chunk(memoryview(data), compressed=True)
    plain = repo.put_chunk(data + b"x")
    assert ref.size == len(data) and ref.stored - len(data) < 100
    again = reopen(repo)
    assert again.get_chunk(ref.id) == data
    assert again.get_chunk(plain.id) == data + b"x"
    assert again.check_chunk(ref.id) is None
    # The same bytes name the same chunk however they were handed over.
    assert repo.put_chunk(data).id == ref.id
