"""Store URLs: which ones are accepted, how they are shown, and the engines they open."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool

from datasteward.errors import ConfigError, SourceError

__all__ = ["create_store_engine", "mask_url", "store_error"]

_URL_HINT = "use sqlite:///path/to/steward.db or postgresql://user:password@host/database"


def create_store_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL store URL (PostgreSQL through psycopg 3)."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        # An unreachable host should fail in seconds, not after the OS's TCP timeout.
        connect_args["connect_timeout"] = 10
    return create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ConfigError(
            f"the store URL {mask_url(url)!r} is not a URL", hint=_URL_HINT
        ) from error
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return parsed
    raise ConfigError(f"unsupported store URL {mask_url(url)!r}", hint=_URL_HINT)


def _sqlite_engine(url: URL) -> Engine:
    if url.database in (None, "", ":memory:"):
        # One shared connection, or every checkout would see its own empty database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        # Resolved now so a later chdir cannot move the store.
        path = Path(url.database).expanduser().resolve()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SourceError(
                f"cannot create the folder {path.parent} for the metadata store: {error.strerror}"
            ) from error
        # Several processes share one store file: wait for a writer instead of failing
        # with "database is locked" after the driver's 5 s default.
        engine = create_engine(url.set(database=str(path)), connect_args={"timeout": 60})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked; WAL lets readers (the web UI) run while a
    # scan writes.
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
    if "password" in parsed.query:
        parsed = parsed.update_query_dict({"password": "***"})
    # Rendering percent-encodes query values (?host=%2Ftmp); people read this, not libpq.
    return unquote(parsed.render_as_string(hide_password=True))


def store_error(url: str, error: DBAPIError, password: str | None) -> SourceError:
    """A one-line SourceError for a failed store operation that never shows ``password``."""
    lines = [line.strip() for line in str(error.orig).splitlines() if line.strip()]
    reason = lines[0] if lines else type(error.orig).__name__
    if password:
        reason = reason.replace(password, "***")
    return SourceError(
        f"cannot use the metadata store {url}: {reason}",
        hint="check the store URL in steward.yml and that its database server is running",
    )
