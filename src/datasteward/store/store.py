"""The metadata store: runs, check results and metric history in SQLite or PostgreSQL."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, ProgrammingError

from datasteward.errors import SourceError
from datasteward.model import CheckStatus, Run, Severity
from datasteward.store.alert_state import AlertStateLog
from datasteward.store.changes import ChangeLog
from datasteward.store.monitoring import MonitorLog
from datasteward.store.revision import HEAD_REVISION
from datasteward.store.rows import CheckHistoryRow, MetricHistoryRow, RunRow
from datasteward.store.schedule_state import ScheduleState
from datasteward.store.tables import check_results, metrics, runs
from datasteward.store.url import create_store_engine, mask_url, store_error

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD_REVISION", "MIGRATIONS", "Store", "alembic_config", "when_not_busy"]

MIGRATIONS = Path(__file__).with_name("migrations")

# Taken inside the upgrade transaction so concurrent first opens run migrations one at a
# time; the later ones then find the schema current. The key is arbitrary but fixed.
_MIGRATION_LOCK = {
    "postgresql": "SELECT pg_advisory_xact_lock(23490056282796915)",
    "sqlite": "BEGIN IMMEDIATE",
}


T = TypeVar("T")

_BUSY_WAIT_S = 60.0  # as long as a connection's busy timeout


def when_not_busy(action: Callable[[], T]) -> T:
    """``action()``, tried again while SQLite gives up on a lock at once.

    Two processes creating one SQLite store at once can both want its exclusive lock (to
    switch it to WAL, to migrate it); SQLite then fails one of them with "database is
    locked" at once instead of waiting (a busy timeout cannot help in a deadlock). That
    one waits a little and tries again, for as long as a busy timeout would have waited.
    """
    deadline = time.monotonic() + _BUSY_WAIT_S
    pause = 0.02
    while True:
        try:
            return action()
        except SourceError as error:
            if not _sqlite_busy(error) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def _sqlite_busy(error: SourceError) -> bool:
    """Whether SQLite gave up on a lock at once (SQLITE_BUSY or SQLITE_LOCKED)."""
    import sqlite3

    cause = getattr(error.__cause__, "orig", None)
    return isinstance(cause, sqlite3.OperationalError) and getattr(
        cause, "sqlite_errorcode", None
    ) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Store:
    """Runs, check results and metric history, shared by every process that opens it."""

    def __init__(self, engine: Engine, url: str) -> None:
        """Wrap an engine whose schema is already current; use :meth:`Store.open` instead."""
        self._engine = engine
        self._url = url

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to the store at ``url`` and bring its schema to the latest revision."""
        return when_not_busy(lambda: cls._open(url))

    @classmethod
    def _open(cls, url: str) -> Store:
        store = cls(create_store_engine(url), mask_url(url))
        try:
            store._ensure_schema()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def url(self) -> str:
        """The store URL with any password masked, for messages."""
        return self._url

    def record_run(self, run: Run) -> None:
        """Write a run with all its check results and metrics in one transaction.

        Recording a run id that is already stored does nothing, so a retried job never
        records twice.
        """
        try:
            with self._begin() as conn:
                if _run_exists(conn, run.run_id):
                    return
                conn.execute(runs.insert(), _run_values(run))
                checks = _check_values(run)
                if checks:
                    conn.execute(check_results.insert(), checks)
                values = _metric_values(run)
                if values:
                    conn.execute(metrics.insert(), values)
        except IntegrityError:
            # Another process recorded the same run between our check and our insert.
            with self._connect() as conn:
                if _run_exists(conn, run.run_id):
                    return
            raise

    def runs(self, limit: int = 20) -> list[RunRow]:
        """The most recent runs, newest ``as_of`` first."""
        query = select(runs).order_by(runs.c.as_of.desc(), runs.c.started_at.desc())
        with self._connect() as conn:
            found = conn.execute(query.limit(max(limit, 0))).mappings()
            return [
                RunRow(
                    run_id=row["run_id"],
                    as_of=row["as_of"],
                    started_at=row["started_at"],
                    finished_at=row["finished_at"],
                    summary=dict(row["summary"]),
                )
                for row in found
            ]

    def latest_run(self) -> RunRow | None:
        """The run with the newest ``as_of``, or None when nothing was recorded yet."""
        latest = self.runs(limit=1)
        return latest[0] if latest else None

    def check_history(
        self, dataset: str, check: str | None = None, limit: int = 100
    ) -> list[CheckHistoryRow]:
        """Check results of ``dataset`` (of one check when ``check`` names it), newest first.

        Results sharing an ``as_of`` come most recently recorded first.
        """
        query = (
            select(runs.c.as_of, check_results)
            .join(runs, runs.c.run_id == check_results.c.run_id)
            .where(check_results.c.dataset == dataset)
            .order_by(runs.c.as_of.desc(), check_results.c.id.desc())
            .limit(max(limit, 0))
        )
        if check is not None:
            query = query.where(check_results.c.name == check)
        with self._connect() as conn:
            return [_check_row(row) for row in conn.execute(query).mappings()]

    def metric_history(
        self,
        dataset: str,
        metric: str | None = None,
        column: str | None = None,
        limit: int = 1000,
    ) -> list[MetricHistoryRow]:
        """Metric values of ``dataset``, optionally of one metric and column, newest first.

        Values sharing an ``as_of`` come most recently recorded first.
        """
        query = (
            select(metrics)
            .where(metrics.c.dataset == dataset)
            .order_by(metrics.c.as_of.desc(), metrics.c.id.desc())
            .limit(max(limit, 0))
        )
        if metric is not None:
            query = query.where(metrics.c.name == metric)
        if column is not None:
            query = query.where(metrics.c.column == column)
        with self._connect() as conn:
            return [
                MetricHistoryRow(
                    as_of=row["as_of"],
                    run_id=row["run_id"],
                    dataset=row["dataset"],
                    name=row["name"],
                    column=row["column"],
                    value=row["value"],
                )
                for row in conn.execute(query).mappings()
            ]

    @property
    def changes(self) -> ChangeLog:
        """The audit log of data changes (``steward fix``, ``steward undo``)."""
        return ChangeLog(self._connect, self._begin)

    @property
    def alert_state(self) -> AlertStateLog:
        """What each alert route last said about each check (``alerts:``)."""
        return AlertStateLog(self._connect)

    @property
    def monitoring(self) -> MonitorLog:
        """Incident flags and schema snapshots (anomaly and schema_change checks)."""
        return MonitorLog(self._connect, self._begin)

    @property
    def schedule_state(self) -> ScheduleState:
        """Scheduled jobs: next due times, leases and last outcomes (``steward run``)."""
        return ScheduleState(self._connect, self._begin)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._url!r})"

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except (OperationalError, InterfaceError) as error:
            raise store_error(self._url, error, self._engine.url.password) from error

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with self._connect() as conn, conn.begin():
            yield conn

    def _ensure_schema(self) -> None:
        with self._connect() as conn:
            if _read_revision(conn) == HEAD_REVISION:
                return
            conn.rollback()
            try:
                _upgrade(conn, self._url)
            except ProgrammingError as error:
                # e.g. the user may connect but not create tables
                raise store_error(self._url, error, self._engine.url.password) from error


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the store's migrations, built in code (no alembic.ini).

    With ``connection``, migrations run on it inside its current transaction.
    """
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolates '%', which may occur in an install path.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(conn: Connection, url: str) -> None:
    conn.exec_driver_sql(_MIGRATION_LOCK[conn.dialect.name])
    current = _read_revision(conn)
    if current != HEAD_REVISION:
        from alembic import command
        from alembic.script import ScriptDirectory

        config = alembic_config(conn)
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        if current is not None and current not in known:
            raise SourceError(
                f"the metadata store {url} has schema revision {current!r}, "
                f"newer than this version of steward knows ({HEAD_REVISION!r})",
                hint="upgrade datasteward",
            )
        command.upgrade(config, "head")
    conn.commit()


def _read_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if revision is None else str(revision)


def _run_exists(conn: Connection, run_id: str) -> bool:
    query = select(runs.c.run_id).where(runs.c.run_id == run_id)
    return conn.execute(query).first() is not None


def _run_values(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "as_of": run.as_of,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "summary": run.summary,
    }


def _check_values(run: Run) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run.run_id,
            "dataset": dataset.dataset,
            "name": check.name,
            "type": check.type,
            "column": check.column,
            "status": check.status.value,
            "severity": check.severity.value,
            "observed": check.observed,
            "failed_rows": None if check.failed_rows is None else int(check.failed_rows),
            "message": check.message,
            "samples": check.samples,
        }
        for dataset in run.datasets
        for check in dataset.checks
    ]


def _metric_values(run: Run) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run.run_id,
            "dataset": dataset.dataset,
            "name": metric.name,
            "column": metric.column,
            "value": _finite_or_none(metric.value),
            "as_of": run.as_of,
        }
        for dataset in run.datasets
        for metric in dataset.metrics
    ]


def _finite_or_none(value: float | None) -> float | None:
    # SQLite turns NaN into NULL anyway; do the same on PostgreSQL so history agrees.
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _check_row(row: Any) -> CheckHistoryRow:
    return CheckHistoryRow(
        as_of=row["as_of"],
        run_id=row["run_id"],
        dataset=row["dataset"],
        name=row["name"],
        type=row["type"],
        column=row["column"],
        status=CheckStatus(row["status"]),
        severity=Severity(row["severity"]),
        observed=row["observed"],
        failed_rows=row["failed_rows"],
        message=row["message"],
        samples=list(row["samples"] or []),
    )
