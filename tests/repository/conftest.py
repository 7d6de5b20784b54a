"""Repositories in real temporary folders, plain and encrypted."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasteward.repository import Repository, keys

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """New repositories derive keys with a cheap argon2id, to keep the tests fast.

    Opening reads the parameters from the repository's config, so every code path is
    the same; tests that need the real cost ask for ``real_kdf``.
    """
    monkeypatch.setattr(keys, "KDF_MEMORY_KIB", 1024)
    monkeypatch.setattr(keys, "KDF_ITERATIONS", 1)


@pytest.fixture
def real_kdf(cheap_kdf: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The production argon2id parameters."""
    monkeypatch.setattr(keys, "KDF_MEMORY_KIB", 64 * 1024)
    monkeypatch.setattr(keys, "KDF_ITERATIONS", 3)


@pytest.fixture(params=["plain", "encrypted"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Repository:
    """A new repository, once without and once with encryption."""
    passphrase = PASSPHRASE if request.param == "encrypted" else None
    return Repository.open(tmp_path / "repo", passphrase=passphrase)


def reopen(repo: Repository) -> Repository:
    """The same repository opened again, as another process would."""
    return Repository.open(repo.location, passphrase=PASSPHRASE if repo.encrypted else None)


def snapshot(repo: Repository, snapshot_id: str, *pieces: bytes, **fields: object) -> list[str]:
    """Store pieces as chunks and a manifest listing them; return the chunk ids."""
    ids = [repo.put_chunk(piece).id for piece in pieces]
    manifest = {"dataset": "orders", "created_at": "2026-01-01T00:00:00Z", "chunks": ids}
    repo.write_manifest(snapshot_id, {**manifest, **fields})
    return ids
