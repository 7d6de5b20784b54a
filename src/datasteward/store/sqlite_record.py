"""Record a scan's run into a current SQLite store with the standard library alone.

Importing SQLAlchemy costs ``steward scan`` more CPU time (about 0.26 s) and memory (about
25 MiB) than the rest of its start-up together. When the store is a SQLite file whose
schema is already at the head revision, the run is written here with ``sqlite3`` as the
very values :class:`~datasteward.store.Store` writes (a test compares both stores row by
row). Anything else (a new or older store, PostgreSQL, a URL with options) returns None
from :func:`open_current`, and the caller uses :class:`~datasteward.store.Store`.
"""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from datasteward.errors import SourceError
from datasteward.model import Run
from datasteward.store.revision import HEAD_REVISION
from datasteward.store.values import as_utc, jsonable, schema_fingerprint

__all__ = ["SQLiteRecorder", "connect_current", "open_current"]

_PREFIX = "sqlite:///"


def open_current(url: str) -> SQLiteRecorder | None:
    """A recorder for ``url`` when it is a SQLite file already at the head revision."""
    connection = connect_current(url)
    return None if connection is None else SQLiteRecorder(connection, url)


def connect_current(url: str) -> sqlite3.Connection | None:
    """A ``sqlite3`` connection to ``url`` when it is a SQLite file already at the head
    revision, set up as the store's own connections are; None otherwise."""
    path = _plain_path(url)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        # The same settings as the store's own connections (see store.url), but the journal
        # mode is read, never set: a store not in WAL mode yet may be one another process is
        # creating, and two connections switching it at once both want the exclusive lock,
        # so SQLite fails one at once with "database is locked" (two concurrent first
        # backups did, one run in four). Such a store is left to ``Store``.
        connection.execute("PRAGMA busy_timeout=60000")
        connection.execute("PRAGMA foreign_keys=ON")
        mode = connection.execute("PRAGMA journal_mode").fetchone()
        row = None
        if mode is not None and str(mode[0]).lower() == "wal":
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        row = None
    if row is None or row[0] != HEAD_REVISION:
        connection.close()
        return None
    return connection


def _plain_path(url: str) -> Path | None:
    """The file of ``sqlite:///path`` URLs without options or escapes (others: None)."""
    for prefix in (_PREFIX, "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            database = url[len(prefix) :]
            if not database or database == ":memory:" or any(c in database for c in "?%#"):
                return None
            return Path(database).expanduser().resolve()
    return None


class SQLiteRecorder:
    """Writes runs and schema snapshots in one transaction, as ``Store`` would."""

    def __init__(self, connection: sqlite3.Connection, url: str) -> None:
        self._connection = connection
        self._url = url

    def record(self, run: Run) -> None:
        """Store the run, its results, metrics and schemas; a run id already stored is kept."""
        conn = self._connection
        try:
            # IMMEDIATE: the write lock comes first, waiting out other writers. A deferred
            # transaction that reads first fails at once (SQLITE_BUSY_SNAPSHOT, no busy
            # wait) when another process commits before it writes.
            conn.execute("BEGIN IMMEDIATE")
            try:
                if not self._exists(run.run_id):
                    self._insert(run)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.IntegrityError:
            if not self._exists(run.run_id):  # not a concurrent recording of the same run
                raise
        except sqlite3.Error as error:
            raise SourceError(
                f"cannot use the metadata store {self._url}: {error}",
                hint="check the store URL in steward.yml",
            ) from error

    def close(self) -> None:
        self._connection.close()

    def _exists(self, run_id: str) -> bool:
        found = self._connection.execute("SELECT run_id FROM runs WHERE run_id = ?", (run_id,))
        return found.fetchone() is not None

    def _insert(self, run: Run) -> None:
        conn = self._connection
        conn.execute(
            "INSERT INTO runs (run_id, as_of, started_at, finished_at, summary) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                run.run_id,
                _moment(run.as_of),
                _moment(run.started_at),
                _moment(run.finished_at),
                _json(run.summary),
            ),
        )
        conn.executemany(
            'INSERT INTO check_results (run_id, dataset, name, type, "column", status, '
            "severity, observed, failed_rows, message, samples) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run.run_id,
                    dataset.dataset,
                    check.name,
                    check.type,
                    check.column,
                    check.status.value,
                    check.severity.value,
                    _json(check.observed),
                    None if check.failed_rows is None else int(check.failed_rows),
                    check.message,
                    _json(check.samples),
                )
                for dataset in run.datasets
                for check in dataset.checks
            ],
        )
        conn.executemany(
            'INSERT INTO metrics (run_id, dataset, name, "column", value, as_of) '
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    run.run_id,
                    dataset.dataset,
                    metric.name,
                    metric.column,
                    _finite_or_none(metric.value),
                    _moment(run.as_of),
                )
                for dataset in run.datasets
                for metric in dataset.metrics
            ],
        )
        for dataset in run.datasets:
            if dataset.columns:
                self._record_schema(dataset.dataset, run, dataset.columns)

    def _record_schema(self, dataset: str, run: Run, columns: dict[str, str]) -> None:
        conn = self._connection
        conn.execute(
            "DELETE FROM schema_snapshots WHERE dataset = ? AND run_id = ?", (dataset, run.run_id)
        )
        conn.execute(
            "INSERT INTO schema_snapshots (dataset, run_id, as_of, fingerprint, columns) "
            "VALUES (?, ?, ?, ?, ?)",
            (dataset, run.run_id, _moment(run.as_of), schema_fingerprint(columns), _json(columns)),
        )


def _moment(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text of a UTC timestamp."""
    moment = as_utc(value)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}"
    )


def _json(value: Any) -> str:
    """SQLAlchemy's JSON text (Python None is stored as JSON null, not SQL NULL)."""
    return json.dumps(jsonable(value))


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
