"""The backup's quality status read with sqlite3 is what the SQLAlchemy store answers, and
the reader steps aside for stores it cannot be sure of."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import datasteward.store
from datasteward.model import CheckResult, CheckStatus, DatasetResult, Run, Severity
from datasteward.store import Store
from datasteward.store.sqlite_checks import newest_check_results

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
    (tmp_path / "data.csv").write_text("id\n1\n2\n2\n", encoding="utf-8")
    (tmp_path / "steward.yml").write_text(
        "version: 1\n"
        "store: sqlite:///steward.db\n"
        "backups: {repository: repo}\n"
        "sources: {files: {type: files, root: .}}\n"
        "datasets:\n"
        "  data: {source: files, path: data.csv, checks: [unique: id]}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    script_path = Path(sys.executable).with_name("steward")
    steward = (
        [str(script_path)]
        if script_path.exists()
        else [sys.executable, "-m", "datasteward.cli.main"]
    )
    if scanned:
        subprocess.run([*steward, "scan"], cwd=tmp_path, env=env, capture_output=True)
    else:
        Store.open(f"sqlite:///{tmp_path / 'steward.db'}").close()
    script = (
        "import sys\n"
        "from datasteward.cli.main import run\n"
        "sys.argv = ['steward', 'backup', 'data']\n"
        "try:\n"
        "    run()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('sqlalchemy' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr
    listing = subprocess.run(
        [*steward, "snapshots", "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert listing.returncode == 0, listing.stderr
    expected = "fail" if scanned else "unknown"  # the csv's id 2 is duplicated
    assert f'"quality": "{expected}"' in listing.stdout, listing.stdout


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
