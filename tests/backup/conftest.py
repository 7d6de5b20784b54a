"""Real sources, real repositories and the real ``steward`` command for the backup tests.

A :class:`Workspace` is a project folder: it writes ``steward.yml`` for one source, puts
Arrow tables into that source as its live data (a Parquet or CSV file, a DuckDB or
SQLite table, a PostgreSQL table), reads datasets back the way Steward's engines see
them, and runs ``steward`` as a separate process or calls the backup services directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from datasteward.repository import keys

from .sources import make_live
from .workspace import Workspace

SOURCE_KINDS = ["parquet", "csv", "duckdb", "sqlite", "postgres"]


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Repositories created in-process use a cheap argon2id; every open reads the
    parameters from the repository's config, so ``steward`` subprocesses stay cheap too."""
    monkeypatch.setattr(keys, "KDF_MEMORY_KIB", 1024)
    monkeypatch.setattr(keys, "KDF_ITERATIONS", 1)


@pytest.fixture
def duckdb_workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path, make_live("duckdb", tmp_path))


@pytest.fixture
def parquet_workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path, make_live("parquet", tmp_path))


@pytest.fixture(params=SOURCE_KINDS)
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """One workspace per kind of source (PostgreSQL only starts when asked for)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    yield Workspace(tmp_path, make_live(request.param, tmp_path, url))
