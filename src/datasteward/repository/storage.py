"""Where repository files live: a local folder, or any fsspec filesystem.

Both kinds offer the same small set of operations on paths relative to the repository
root. Every write goes to a temp name first (names starting with ``.tmp-``), so readers
see a whole file or none; a killed writer leaves only temp files, which readers ignore
and ``prune`` removes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["TEMP_PREFIX", "FsspecStorage", "LocalStorage", "Storage", "StoredFile", "open_storage"]

TEMP_PREFIX = ".tmp-"

# errno values meaning "this filesystem has no hard links": fall back to check-then-rename.
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV}


@dataclass(frozen=True)
class StoredFile:
    """One file under the repository root."""

    path: str  # relative, with "/" separators
    size: int
    mtime: float | None

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def is_temp(self) -> bool:
        return self.name.startswith(TEMP_PREFIX)


class Storage(ABC):
    """File operations relative to a repository root."""

    location: str

    @abstractmethod
    def read(self, path: str) -> bytes:
        """The file's bytes; ``FileNotFoundError`` when it does not exist."""

    @abstractmethod
    def write(self, path: str, data: bytes, *, overwrite: bool) -> bool:
        """Write atomically; with ``overwrite=False`` return False if the file exists."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """Whether the file exists."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove the file; a missing file is fine."""

    @abstractmethod
    def rename(self, source: str, target: str) -> bool:
        """Move ``source`` to a fresh name ``target``; False when ``source`` is gone."""

    @abstractmethod
    def files(self, folder: str) -> list[StoredFile]:
        """Every file below ``folder`` (recursively), temp files included."""

    @abstractmethod
    def mtime(self, path: str) -> float | None:
        """Modification time (epoch seconds) when the filesystem knows it."""


class LocalStorage(Storage):
    """A local folder: temp file, fsync, rename (or hard link), fsync the folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self.location = str(self.root)
        self._folders: set[Path] = set()

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def write(self, path: str, data: bytes, *, overwrite: bool) -> bool:
        final = self.root / path
        self._ensure_folder(final.parent)
        temp = _write_temp(final.parent, data)
        try:
            if overwrite:
                os.replace(temp, final)
                created = True
            else:
                created = _link_new(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        if created:
            _fsync_folder(final.parent)
        return created

    def exists(self, path: str) -> bool:
        return (self.root / path).is_file()

    def delete(self, path: str) -> None:
        (self.root / path).unlink(missing_ok=True)

    def rename(self, source: str, target: str) -> bool:
        try:
            os.rename(self.root / source, self.root / target)
        except FileNotFoundError:
            return False
        return True

    def files(self, folder: str) -> list[StoredFile]:
        found = []
        for directory, _, names in os.walk(self.root / folder):
            for name in names:
                full = Path(directory, name)
                try:
                    stat = full.stat()
                except FileNotFoundError:  # removed while we looked
                    continue
                relative = full.relative_to(self.root).as_posix()
                found.append(StoredFile(relative, stat.st_size, stat.st_mtime))
        return found

    def mtime(self, path: str) -> float | None:
        try:
            return (self.root / path).stat().st_mtime
        except FileNotFoundError:
            return None

    def _ensure_folder(self, folder: Path) -> None:
        if folder in self._folders:
            return
        try:
            folder.mkdir(parents=True)
        except FileExistsError:
            pass
        else:
            _fsync_folder(folder.parent)  # the new folder's entry must survive a crash too
        self._folders.add(folder)


class FsspecStorage(Storage):
    """Any fsspec filesystem (memory, s3, gcs, sftp, …): write a temp name, then move."""

    def __init__(self, url: str) -> None:
        import fsspec  # imported here: local repositories do not need it

        filesystem, root = fsspec.core.url_to_fs(url)
        self.fs: Any = filesystem
        self.root = str(root).rstrip("/")
        self.location = url

    def _full(self, path: str) -> str:
        return f"{self.root}/{path}"

    def read(self, path: str) -> bytes:
        return bytes(self.fs.cat_file(self._full(path)))

    def write(self, path: str, data: bytes, *, overwrite: bool) -> bool:
        final = self._full(path)
        folder = final.rsplit("/", 1)[0]
        self.fs.makedirs(folder, exist_ok=True)
        temp = f"{folder}/{TEMP_PREFIX}{secrets.token_hex(8)}"
        self.fs.pipe_file(temp, data)
        # Without an atomic create-if-absent on every fsspec store, "never overwrite" is a
        # check then a move; the writer lock keeps two writers from racing here.
        if not overwrite and self.fs.exists(final):
            self.fs.rm_file(temp)
            return False
        self.fs.mv(temp, final)
        return True

    def exists(self, path: str) -> bool:
        return bool(self.fs.isfile(self._full(path)))

    def delete(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._full(path))

    def rename(self, source: str, target: str) -> bool:
        try:
            self.fs.mv(self._full(source), self._full(target))
        except FileNotFoundError:
            return False
        return True

    def files(self, folder: str) -> list[StoredFile]:
        base = self._full(folder)
        if not self.fs.exists(base):
            return []
        found = []
        for name, info in self.fs.find(base, detail=True).items():
            relative = str(name)[len(self.root) + 1 :]
            found.append(StoredFile(relative, int(info.get("size") or 0), _info_mtime(info)))
        return found

    def mtime(self, path: str) -> float | None:
        try:
            return _info_mtime(self.fs.info(self._full(path)))
        except FileNotFoundError:
            return None


def open_storage(location: str | Path) -> Storage:
    """A local folder path or ``file://`` URL gives local storage; other URLs use fsspec."""
    if isinstance(location, Path):
        return LocalStorage(location)
    if location.startswith("file://"):
        return LocalStorage(Path(location.removeprefix("file://")))
    if "://" in location:
        return FsspecStorage(location)
    return LocalStorage(Path(location))


def _write_temp(folder: Path, data: bytes) -> Path:
    handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _link_new(temp: Path, final: Path) -> bool:
    """Give ``temp`` the name ``final`` unless it exists (a hard link never overwrites)."""
    try:
        os.link(temp, final)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if final.exists():
            return False
        os.replace(temp, final)
    return True


def _fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _info_mtime(info: dict[str, Any]) -> float | None:
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float):
            return float(value)
    return None
