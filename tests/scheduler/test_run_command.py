"""``steward run`` as a real process: runs jobs, logs them, stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from datasteward.config import load_project
from datasteward.store import Store

from .conftest import Log, start_steward, steward_command, write_project

EVERY_SECOND = (
    "  orders:\n"
    "    source: lake\n"
    "    path: orders.csv\n"
    "    checks: [{row_count: {min: 1}}]\n"
    "    schedule: {every: 1s}\n"
)


def _runs(config: Path) -> int:
    with Store.open(load_project(config).store_url()) as store:
        return len(store.runs(limit=100))


def test_run_scans_on_schedule_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    config = write_project(tmp_path, EVERY_SECOND)
    process = start_steward("run", cwd=tmp_path)
    log = Log(process)
    try:
        log.wait_for("scan:orders: every 1s, next due")  # the store is migrated by now
        deadline = time.monotonic() + 30
        while _runs(config) < 2:
            assert time.monotonic() < deadline, log.text
            assert process.poll() is None, log.text
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0, log.text
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "SIGTERM received: stopping after the current job" in log.text
    assert log.lines[-1].endswith("INFO scheduler stopped")
    ok_lines = [line for line in log.lines if " INFO scan:orders slot " in line]
    assert len(ok_lines) >= 2
    assert ": ok in " in ok_lines[0]
    assert ": 1 pass" in ok_lines[0]


def test_run_once_runs_the_next_due_job_and_exits(tmp_path: Path) -> None:
    config = write_project(tmp_path, EVERY_SECOND)
    process = start_steward("run", "--once", cwd=tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert _runs(config) == 1


def test_run_once_exits_3_when_a_job_fails(tmp_path: Path) -> None:
    write_project(tmp_path, EVERY_SECOND.replace("orders.csv", "missing.csv"))
    process = start_steward("run", "--once", cwd=tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, stderr
    (failed,) = [line for line in stderr.splitlines() if " ERROR scan:orders slot " in line]
    assert ": failed in " in failed
    assert "no file matches" in failed
    assert "Traceback" not in stderr


def test_run_without_schedules_is_a_usage_error(tmp_path: Path) -> None:
    write_project(tmp_path, "  orders: {source: lake, path: orders.csv}\n")
    process = start_steward("run", cwd=tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.splitlines() == [
        "error: no dataset has a schedule or a backup_schedule "
        "(add e.g. 'schedule: {every: 15m}' to a dataset in steward.yml)"
    ]


def test_watch_rejects_a_bad_interval(tmp_path: Path) -> None:
    write_project(tmp_path, "  orders: {source: lake, path: orders.csv}\n")
    result = subprocess.run(
        [*steward_command(), "watch", "orders", "--interval", "soon"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: --interval: invalid duration 'soon'")
