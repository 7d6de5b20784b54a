"""The backup's quality status read with sqlite3 is what the SQLAlchemy store answers, and
the reader steps aside for stores it cannot be sure of."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import datasteward.store
from datasteward.config import load_project
from datasteward.model import CheckResult, CheckStatus, DatasetResult, Run, Severity
from datasteward.services.backup import open_repository, snapshots
from datasteward.store import Store
from datasteward.store.sqlite_checks import newest_check_results

from .child import imports_sqlalchemy, write_project

SRC = Path(datasteward.store.__file__).parents[2]
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _run(run_id: str, hours: int, dataset: str, *statuses: tuple[CheckStatus, Severity]) -> Run:
    checks = [
        CheckResult(name=f"check{n}", type="sql", status=status, severity=severity, message="")
        for n, (status, severity) in enumerate(statuses)
    ]
    at = START + timedelta(hours=hours)
    result = DatasetResult(dataset, 10, 0.1, checks, [], {"id": "BIGINT"})
    return Run(run_id, at, at, at, [result])


def _history_rows(url: str, dataset: str) -> list[tuple[str, str, str]]:
    with Store.open(url) as store:
        rows = store.check_history(dataset, limit=500)
    return [(r.run_id, r.severity.value, r.status.value) for r in rows]


def test_answers_as_the_store_does(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    fail, warn, ok = CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.PASS
    runs = [
        _run("r1", 0, "orders", (ok, Severity.ERROR)),
        _run("r2", 2, "orders", (fail, Severity.ERROR), (ok, Severity.ERROR)),
        # recorded later but older: newest means the latest as_of, not the latest write
        _run("r3", 1, "orders", (ok, Severity.ERROR)),
        _run("r4", 3, "customers", (warn, Severity.WARN), (ok, Severity.ERROR)),
    ]
    with Store.open(url) as store:
        for run in runs:
            store.record_run(run)
    for dataset in ("orders", "customers", "never_scanned"):
        quick = newest_check_results(url, dataset, 500)
        assert quick == _history_rows(url, dataset)
    assert newest_check_results(url, "orders", 500)[0][0] == "r2"  # type: ignore[index]
    assert newest_check_results(url, "orders", 1) == [("r2", "error", "pass")]
    assert newest_check_results(url, "never_scanned", 500) == []


def test_steps_aside_unless_the_store_is_a_current_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert newest_check_results(f"sqlite:///{missing}", "orders", 5) is None
    assert not missing.exists()
    assert newest_check_results("postgresql://user@localhost/steward", "orders", 5) is None
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    Store.open(url).close()
    assert newest_check_results(url, "orders", 5) == []
    with sqlite3.connect(tmp_path / "steward.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    assert newest_check_results(url, "orders", 5) is None


def test_keeps_off_a_store_that_is_not_in_wal_mode_yet(tmp_path: Path) -> None:
    """A store file not in WAL mode may be one another process is creating: switching it
    too could make that process's switch fail with "database is locked" (a concurrent
    backup did, about one run in four). Read, never set."""
    path = tmp_path / "steward.db"
    url = f"sqlite:///{path}"
    path.write_bytes(b"")  # created this moment, nothing written yet
    assert newest_check_results(url, "orders", 5) is None
    path.unlink()
    Store.open(url).close()
    assert newest_check_results(url, "orders", 5) == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    assert newest_check_results(url, "orders", 5) is None
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # left as found


@pytest.mark.parametrize("scanned", [False, True])
def test_a_backup_into_a_current_store_does_not_import_sqlalchemy(
    tmp_path: Path, scanned: bool
) -> None:
    write_project(tmp_path, backups=True)
    if scanned:
        assert imports_sqlalchemy(tmp_path, "scan")  # the first scan creates the store
    else:
        Store.open(f"sqlite:///{tmp_path / 'steward.db'}").close()
    assert not imports_sqlalchemy(tmp_path, "backup", "data")
    project = load_project(tmp_path / "steward.yml")
    (snapshot,) = snapshots(open_repository(project, create=False), "data")
    assert snapshot.quality == ("fail" if scanned else "unknown")  # the csv's id 2 is twice


def test_opening_a_store_another_process_is_creating_waits_and_tries_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes creating one store can both want its exclusive lock; SQLite fails one
    at once with "database is locked" (SQLITE_BUSY, no busy wait). That one tries again."""
    from sqlalchemy.exc import OperationalError

    from datasteward.errors import SourceError

    real = Store._ensure_schema
    attempts: list[int] = []
    monkeypatch.setattr(time, "sleep", lambda seconds: None)

    def busy_twice(self: Store) -> None:
        attempts.append(1)
        if len(attempts) <= 2:
            busy = sqlite3.OperationalError("database is locked")
            busy.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
            cause = OperationalError("PRAGMA journal_mode=WAL", {}, busy)
            raise SourceError("cannot use the metadata store: database is locked") from cause
        real(self)

    monkeypatch.setattr(Store, "_ensure_schema", busy_twice)
    with Store.open(f"sqlite:///{tmp_path / 'steward.db'}") as store:
        assert store.runs() == []
    assert len(attempts) == 3

    def not_busy(self: Store) -> None:
        raise SourceError("cannot use the metadata store: disk I/O error")

    monkeypatch.setattr(Store, "_ensure_schema", not_busy)
    with pytest.raises(SourceError, match="disk I/O"):
        Store.open(f"sqlite:///{tmp_path / 'other.db'}")  # other errors are not retried
