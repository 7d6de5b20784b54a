"""The exclusive writer lock: one lock file, a heartbeat, and stale-lock recovery.

The lock file is created whole and only if absent (a hard link of a complete temp file on
local folders). It names its holder (host, pid, purpose, since) and carries a heartbeat
that a daemon thread refreshes while the lock is held. A waiting writer breaks a lock
whose process is dead on this host, or whose heartbeat is older than ``stale_after``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from datasteward.repository.errors import RepositoryLocked
from datasteward.repository.storage import TEMP_PREFIX, Storage

__all__ = ["LOCK_PATH", "LockInfo", "WriterLock"]

LOCK_PATH = "locks/writer"
STALE_AFTER = 600.0
_POLL = 0.05
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockInfo:
    """Who holds the lock, as written in the lock file."""

    host: str
    pid: int
    purpose: str
    since: float
    heartbeat: float
    token: str

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def decode(cls, raw: bytes) -> LockInfo | None:
        try:
            fields = json.loads(raw)
            return cls(
                host=str(fields["host"]),
                pid=int(fields["pid"]),
                purpose=str(fields["purpose"]),
                since=float(fields["since"]),
                heartbeat=float(fields["heartbeat"]),
                token=str(fields["token"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        since = datetime.fromtimestamp(self.since, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        beat = max(0, round(time.time() - self.heartbeat))
        return (
            f"pid {self.pid} on {self.host} ({self.purpose}) since {since}, "
            f"last heartbeat {beat} s ago"
        )


class WriterLock:
    """The writer lock of one open repository; re-entrant for the thread holding it."""

    def __init__(self, storage: Storage, *, stale_after: float = STALE_AFTER) -> None:
        self._storage = storage
        self.stale_after = stale_after
        self._guard = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._held: LockInfo | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    @property
    def held(self) -> bool:
        """Whether this thread holds the lock through this object."""
        return self._owner == threading.get_ident()

    def acquire(self, *, wait: float, purpose: str) -> None:
        """Take the lock, waiting up to ``wait`` seconds; ``RepositoryLocked`` after that."""
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return
        info = self._take(wait, purpose)
        with self._guard:
            self._owner, self._depth, self._held = me, 1, info
            self._stop = threading.Event()
            self._beat = threading.Thread(
                target=self._heartbeat, args=(info, self._stop), name="steward-lock", daemon=True
            )
            self._beat.start()

    def release(self) -> None:
        """Give the lock back (the outermost release removes the lock file)."""
        with self._guard:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a repository lock this thread does not hold")
            self._depth -= 1
            if self._depth:
                return
            info, beat, stop = self._held, self._beat, self._stop
            self._owner, self._held, self._beat = None, None, None
        stop.set()
        if beat is not None:
            beat.join()
        current = self.holder()
        if info is not None and current is not None and current.token == info.token:
            self._storage.delete(LOCK_PATH)
        else:
            _log.warning("the repository lock was taken from us while we held it")

    def holder(self) -> LockInfo | None:
        """The current holder, or None when nobody holds the lock (or it is unreadable)."""
        raw = self._read()
        return None if raw is None else LockInfo.decode(raw)

    def force_break(self) -> str | None:
        """Remove the lock whoever holds it; describe the holder that was removed."""
        raw = self._read()
        if raw is None:
            return None
        self._storage.delete(LOCK_PATH)
        info = LockInfo.decode(raw)
        return info.describe() if info else "an unreadable lock"

    def _take(self, wait: float, purpose: str) -> LockInfo:
        now = time.time()
        info = LockInfo(socket.gethostname(), os.getpid(), purpose, now, now, secrets.token_hex(16))
        deadline = time.monotonic() + wait
        while True:
            if self._storage.write(LOCK_PATH, info.encode(), overwrite=False):
                holder = self.holder()
                if holder is not None and holder.token == info.token:
                    return info
            raw = self._read()
            if raw is not None and self._is_stale(raw):
                self._break(raw)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._locked_error(raw)
            time.sleep(min(_POLL, remaining))

    def _read(self) -> bytes | None:
        try:
            return self._storage.read(LOCK_PATH)
        except FileNotFoundError:
            return None

    def _is_stale(self, raw: bytes) -> bool:
        info = LockInfo.decode(raw)
        if info is None:  # a lock we cannot read: judge by the file's age
            modified = self._storage.mtime(LOCK_PATH)
            return modified is not None and time.time() - modified > self.stale_after
        if info.host == socket.gethostname() and not _pid_alive(info.pid):
            return True
        return time.time() - info.heartbeat > self.stale_after

    def _break(self, stale: bytes) -> None:
        # Move the lock aside first, then make sure it is the one judged stale: another
        # waiter may have broken it and taken a fresh lock in between.
        aside = f"locks/{TEMP_PREFIX}broken-{secrets.token_hex(8)}"
        if not self._storage.rename(LOCK_PATH, aside):
            return
        moved = self._storage.read(aside)
        if moved != stale:
            self._storage.write(LOCK_PATH, moved, overwrite=False)
        else:
            info = LockInfo.decode(stale)
            who = info.describe() if info else "an unreadable lock"
            _log.warning("broke the stale repository lock held by %s", who)
        self._storage.delete(aside)

    def _heartbeat(self, info: LockInfo, stop: threading.Event) -> None:
        while not stop.wait(self.stale_after / 10):
            try:
                current = self.holder()
                if current is None or current.token != info.token:
                    _log.warning("lost the repository lock: %s", _who(current))
                    return
                beat = replace(info, heartbeat=time.time())
                self._storage.write(LOCK_PATH, beat.encode(), overwrite=True)
            except OSError as error:  # a flaky store must not kill the writer; try again
                _log.warning("could not refresh the repository lock: %s", error)

    def _locked_error(self, raw: bytes | None) -> RepositoryLocked:
        info = None if raw is None else LockInfo.decode(raw)
        where = self._storage.location
        return RepositoryLocked(
            f"repository {where} is locked by {_who(info)}",
            hint=(
                f"wait for it to finish; a lock whose process has died is broken "
                f"automatically, or after {self.stale_after:.0f} s without a heartbeat"
            ),
        )


def _who(info: LockInfo | None) -> str:
    return info.describe() if info else "an unknown writer"


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill would terminate the process there
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited even though its pid still answers
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]
