"""Fixtures for the scheduler and the watcher: a test clock, a project, a store."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from datasteward.config import Project, parse_project
from datasteward.store import Store

ORDERS_CSV = "order_id,amount\n1,10\n2,20\n3,30\n"


class FakeClock:
    """A clock whose time only moves when the code under test sleeps (or a test says so).

    ``at`` maps moments to callbacks run when time passes them, e.g. a file edited at t+3s.
    """

    def __init__(self, start: datetime) -> None:
        self.moment = start
        self.sleeps: list[float] = []
        self.at: dict[datetime, list[Callable[[], None]]] = {}

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(timedelta(seconds=seconds))

    def advance(self, delta: timedelta) -> None:
        target = self.moment + delta
        for moment in sorted(m for m in self.at if m <= target):
            self.moment = moment
            for callback in self.at.pop(moment):
                callback()
        self.moment = target


def write_project(folder: Path, datasets: str, *, sources: str = "") -> Path:
    """A project folder with ``data/orders.csv`` and the given ``datasets:`` block."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "orders.csv").write_text(ORDERS_CSV)
    config = folder / "steward.yml"
    config.write_text(
        "version: 1\n"
        "sources:\n  lake: {type: files, root: data}\n" + sources + "datasets:\n" + datasets
    )
    return config


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Orders scanned every 15 minutes and backed up daily at 06:00."""
    config = write_project(
        tmp_path,
        "  orders:\n"
        "    source: lake\n"
        "    path: orders.csv\n"
        "    checks: [{row_count: {min: 1}}]\n"
        "    schedule: {every: 15m}\n"
        "    backup_schedule: '0 6 * * *'\n",
    )
    return parse_project(config.read_text(), base_dir=tmp_path)


@pytest.fixture
def store(project: Project) -> Iterator[Store]:
    with Store.open(project.store_url()) as opened:
        yield opened


def steward_command() -> list[str]:
    script = Path(sys.executable).with_name("steward")
    return [str(script)] if script.exists() else [sys.executable, "-m", "datasteward.cli.main"]


def start_steward(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """``steward ARGS`` in the background, its log (stderr) readable line by line."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    return subprocess.Popen(
        [*steward_command(), *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Log:
    """Collects a background process's stderr lines on a thread, so waiting can time out."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        self.lines: list[str] = []
        self._stream = process.stderr
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"no {text!r} in the log:\n{self.text}"
            time.sleep(0.02)

    @property
    def text(self) -> str:
        self._thread.join(timeout=0.1)
        return "\n".join(self.lines)
