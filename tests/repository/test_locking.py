"""The writer lock: one writer at a time, waiting, and recovery from dead writers."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from datasteward.errors import ExitCode
from datasteward.repository import Repository, RepositoryLocked


def lock_file(repo: Repository) -> Path:
    return Path(repo.location, "locks", "writer")


def plant_lock(repo: Repository, *, host: str, pid: int, heartbeat_age: float) -> None:
    now = time.time()
    holder = {
        "host": host,
        "pid": pid,
        "purpose": "backup",
        "since": now - heartbeat_age - 60,
        "heartbeat": now - heartbeat_age,
        "token": "planted",
    }
    lock_file(repo).parent.mkdir(exist_ok=True)
    lock_file(repo).write_text(json.dumps(holder))


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_lock_file_names_its_holder_and_goes_away(tmp_path: Path) -> None:
    repo = Repository.open(tmp_path)
    with repo.writer_lock(purpose="forget"):
        holder = json.loads(lock_file(repo).read_text())
        assert holder["host"] == socket.gethostname()
        assert holder["purpose"] == "forget"
    assert not lock_file(repo).exists()


def test_a_second_writer_waits_until_the_first_releases(tmp_path: Path) -> None:
    first, second = Repository.open(tmp_path), Repository.open(tmp_path)
    events: list[str] = []
    holding = threading.Event()

    def hold() -> None:
        with first.writer_lock():
            events.append("first in")
            holding.set()
            time.sleep(0.4)
            events.append("first out")

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait()
    started = time.monotonic()
    with second.writer_lock(wait=10):
        events.append("second in")
    thread.join()
    assert events == ["first in", "first out", "second in"]
    assert time.monotonic() - started >= 0.2


def test_a_busy_lock_raises_after_the_wait(tmp_path: Path) -> None:
    first, second = Repository.open(tmp_path), Repository.open(tmp_path)
    with first.writer_lock(purpose="backup"):
        started = time.monotonic()
        with pytest.raises(RepositoryLocked) as caught, second.writer_lock(wait=0.3):
            pass
        assert 0.3 <= time.monotonic() - started < 2
    message = str(caught.value)
    assert "locked by pid" in message and socket.gethostname() in message
    assert "(backup) since" in message
    assert caught.value.exit_code == ExitCode.RUNTIME


def test_a_lock_left_by_a_dead_process_is_broken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = Repository.open(tmp_path)
    plant_lock(repo, host=socket.gethostname(), pid=dead_pid(), heartbeat_age=0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), repo.writer_lock(wait=5):
        assert json.loads(lock_file(repo).read_text())["token"] != "planted"
    assert time.monotonic() - started < 1
    assert "broke the stale repository lock" in caplog.text


@pytest.mark.parametrize(("heartbeat_age", "broken"), [(1000, True), (5, False)])
def test_a_lock_from_another_host_is_broken_only_when_its_heartbeat_is_stale(
    tmp_path: Path, heartbeat_age: float, broken: bool
) -> None:
    repo = Repository.open(tmp_path)
    plant_lock(repo, host="elsewhere", pid=1, heartbeat_age=heartbeat_age)
    if broken:
        with repo.writer_lock(wait=1):
            pass
    else:
        with pytest.raises(RepositoryLocked, match="on elsewhere"), repo.writer_lock(wait=0.2):
            pass


def test_the_heartbeat_keeps_a_long_hold_from_looking_stale(tmp_path: Path) -> None:
    first, second = Repository.open(tmp_path), Repository.open(tmp_path)
    with first.writer_lock(stale_after=0.5):
        time.sleep(0.7)  # longer than stale_after: only the heartbeat keeps it fresh
        holder = json.loads(lock_file(first).read_text())
        assert holder["heartbeat"] > holder["since"] + 0.3
        with pytest.raises(RepositoryLocked), second.writer_lock(wait=0.3, stale_after=0.5):
            pass


def test_the_lock_is_reentrant_for_its_holder(tmp_path: Path) -> None:
    repo = Repository.open(tmp_path)
    with repo.writer_lock(), repo.writer_lock(purpose="prune"):
        assert repo.lock_holder() is not None
    assert repo.lock_holder() is None


def test_an_operator_can_break_a_lock(tmp_path: Path) -> None:
    repo = Repository.open(tmp_path)
    plant_lock(repo, host="elsewhere", pid=1, heartbeat_age=0)
    described = repo.break_lock()
    assert described is not None and "elsewhere" in described
    assert repo.lock_holder() is None
