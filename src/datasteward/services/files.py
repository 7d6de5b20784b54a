"""Atomic file writes: write a temp file, fsync, rename, fsync the folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from datasteward.errors import UsageError

__all__ = ["write_bytes_atomically", "write_text_atomically"]


def write_text_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never a half-written one."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never a half-written one."""
    try:
        if path.exists() and not path.is_file():
            # A device or pipe (/dev/stdout, /dev/null, a FIFO): write into it; renaming
            # a temp file over it would replace the device itself.
            with path.open("wb") as stream:
                stream.write(data)
            return
        _write(path, data)
    except OSError as error:
        raise UsageError(f"cannot write {str(path)!r}: {error.strerror or error}") from None


def _write(path: Path, data: bytes) -> None:
    folder = path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
