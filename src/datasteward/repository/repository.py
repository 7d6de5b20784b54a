"""The backup repository: opaque chunks and snapshot manifests in a folder or fsspec store.

Layout under the root::

    config                  format version, chunk-id scheme, compression, keys
    chunks/<ab>/<id>        one sealed chunk each, named by its keyed content hash
    snapshots/<id>          one sealed JSON manifest each, written last, never overwritten
    locks/writer            the writer lock

Writers (backup, forget, prune) hold ``writer_lock()``; readers need no lock.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasteward.repository.errors import (
    RepositoryCorrupt,
    RepositoryUnavailable,
    SnapshotNotFound,
)
from datasteward.repository.keys import (
    DEFAULT_LEVEL,
    Codec,
    DamagedObject,
    Keys,
    load_keys,
    new_config,
    parse_config,
)
from datasteward.repository.locking import STALE_AFTER, LockInfo, WriterLock
from datasteward.repository.maintenance import (
    PruneReport,
    VerifyReport,
    prune_repository,
    verify_repository,
)
from datasteward.repository.storage import Storage, open_storage

__all__ = ["ChunkRef", "Repository"]

CONFIG_PATH = "config"
_CHUNK_ID = re.compile(r"[0-9a-f]{64}")
_SNAPSHOT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_DAMAGE_HINT = "run `steward verify --read-data` to list all damage"
_log = logging.getLogger(__name__)


class _Missing(DamagedObject):
    """The object is not there at all."""


@dataclass(frozen=True)
class ChunkRef:
    """A stored chunk: its id, plaintext size, and bytes written by this call (0 if known)."""

    id: str
    size: int
    stored: int


class Repository:
    """Chunks and manifests, deduplicated, compressed and optionally encrypted."""

    def __init__(self, storage: Storage, config: dict[str, Any], keys: Keys, raw: bytes) -> None:
        self.storage = storage
        self.location = storage.location
        self.encrypted = keys.encrypted
        self.config = config
        self._config_raw = raw
        level = int(config.get("compression", {}).get("level", DEFAULT_LEVEL))
        self._codec = Codec(keys, level)
        self._lock = WriterLock(storage)

    @classmethod
    def open(
        cls, location: str | Path, *, passphrase: str | None = None, create: bool = True
    ) -> Repository:
        """Open the repository at a folder or fsspec URL, creating it if asked and absent."""
        storage = open_storage(location)
        raw = _read_or_none(storage, CONFIG_PATH)
        if raw is None:
            if not create:
                raise RepositoryUnavailable(
                    f"no backup repository at {storage.location}",
                    hint="`steward backup` creates one",
                )
            _refuse_orphaned(storage)
            config, keys = new_config(passphrase)
            raw = json.dumps(config, indent=2).encode()
            if storage.write(CONFIG_PATH, raw, overwrite=False):
                return cls(storage, config, keys, raw)
            raw = storage.read(CONFIG_PATH)  # another process created it first: use theirs
        config = parse_config(raw, storage.location)
        return cls(storage, config, load_keys(config, passphrase, storage.location), raw)

    # -- locking -----------------------------------------------------------------------

    @contextmanager
    def writer_lock(
        self, *, wait: float = 120.0, purpose: str = "backup", stale_after: float = STALE_AFTER
    ) -> Iterator[None]:
        """Hold the exclusive writer lock; re-entrant within the thread that holds it."""
        self._lock.stale_after = stale_after
        self._lock.acquire(wait=wait, purpose=purpose)
        try:
            yield
        finally:
            self._lock.release()

    def lock_holder(self) -> LockInfo | None:
        """Who holds the writer lock now, if anyone."""
        return self._lock.holder()

    def break_lock(self) -> str | None:
        """Remove the writer lock whoever holds it (for an operator); describe who held it."""
        return self._lock.force_break()

    # -- chunks ------------------------------------------------------------------------

    def put_chunk(self, data: bytes | memoryview, *, compressed: bool = False) -> ChunkRef:
        """Store ``data`` once under its keyed hash; ``stored`` is 0 when it was there.

        ``compressed``: the data is compressed already (it is stored without a second pass).
        """
        chunk_id = self._codec.chunk_id(data)
        path = _chunk_path(chunk_id)
        size = memoryview(data).nbytes
        if self.storage.exists(path):
            return ChunkRef(chunk_id, size, 0)
        blob = self._codec.seal(_aad("chunk", chunk_id), data, compressed=compressed)
        written = self.storage.write(path, blob, overwrite=False)
        return ChunkRef(chunk_id, size, len(blob) if written else 0)

    def get_chunk(self, chunk_id: str) -> bytes:
        """The chunk's data, checked; ``RepositoryCorrupt`` when missing or damaged."""
        try:
            return self._load_chunk(chunk_id)
        except _Missing:
            message = f"chunk {chunk_id} is missing from repository {self.location}"
        except DamagedObject as damage:
            message = f"chunk {chunk_id} in repository {self.location} is damaged: {damage}"
        raise RepositoryCorrupt(message, hint=_DAMAGE_HINT)

    def check_chunk(self, chunk_id: str) -> str | None:
        """Why the chunk is unusable (missing, damaged), or None when it reads back intact."""
        try:
            self._load_chunk(chunk_id)
        except _Missing:
            return "missing"
        except DamagedObject as damage:
            return f"damaged: {damage}"
        return None

    def has_chunk(self, chunk_id: str) -> bool:
        return bool(_CHUNK_ID.fullmatch(chunk_id)) and self.storage.exists(_chunk_path(chunk_id))

    def chunk_ids(self) -> set[str]:
        """Ids of every stored chunk (temp files of killed writers are not chunks)."""
        return {
            stored.name
            for stored in self.storage.files("chunks")
            if _CHUNK_ID.fullmatch(stored.name) and stored.path == _chunk_path(stored.name)
        }

    def delete_chunk(self, chunk_id: str) -> None:
        """Remove a chunk; removing one that is not there is fine."""
        if _CHUNK_ID.fullmatch(chunk_id):
            self.storage.delete(_chunk_path(chunk_id))

    def _load_chunk(self, chunk_id: str) -> bytes:
        if not _CHUNK_ID.fullmatch(chunk_id):
            raise DamagedObject("not a valid chunk id")
        try:
            blob = self.storage.read(_chunk_path(chunk_id))
        except FileNotFoundError:
            raise _Missing from None
        data = self._codec.unseal(_aad("chunk", chunk_id), blob)
        if self._codec.chunk_id(data) != chunk_id:
            raise DamagedObject("its content does not match its id")
        return data

    # -- manifests ---------------------------------------------------------------------

    def write_manifest(self, snapshot_id: str, manifest: dict[str, Any]) -> None:
        """Store a manifest atomically; a snapshot exists from this moment on."""
        if not _SNAPSHOT_ID.fullmatch(snapshot_id):
            raise ValueError(f"not a valid snapshot id: {snapshot_id!r}")
        body = json.dumps(manifest, separators=(",", ":")).encode()
        blob = self._codec.seal(_aad("snapshot", snapshot_id), body)
        if not self.storage.write(_snapshot_path(snapshot_id), blob, overwrite=False):
            raise FileExistsError(f"snapshot {snapshot_id} already exists in {self.location}")

    def read_manifest(self, snapshot_id: str) -> dict[str, Any]:
        """The manifest with its ``id``; ``SnapshotNotFound`` or ``RepositoryCorrupt``."""
        blob = None
        if _SNAPSHOT_ID.fullmatch(snapshot_id):
            blob = _read_or_none(self.storage, _snapshot_path(snapshot_id))
        if blob is None:
            raise SnapshotNotFound(
                f"no snapshot {snapshot_id!r} in repository {self.location}",
                hint="`steward snapshots` lists them",
            )
        try:
            manifest = json.loads(self._codec.unseal(_aad("snapshot", snapshot_id), blob))
            if not isinstance(manifest, dict):
                raise DamagedObject("not a JSON object")
        except (DamagedObject, ValueError) as damage:
            raise RepositoryCorrupt(
                f"snapshot {snapshot_id} in repository {self.location} is damaged ({damage})",
                hint=_DAMAGE_HINT,
            ) from None
        manifest["id"] = snapshot_id
        return manifest

    def snapshot_ids(self) -> list[str]:
        """Ids of every snapshot, sorted."""
        return sorted(
            stored.name
            for stored in self.storage.files("snapshots")
            if _SNAPSHOT_ID.fullmatch(stored.name) and stored.path == _snapshot_path(stored.name)
        )

    def manifests(self) -> list[dict[str, Any]]:
        """Every readable manifest, by id; damaged ones are skipped (``verify`` names them)."""
        found = []
        for snapshot_id in self.snapshot_ids():
            try:
                found.append(self.read_manifest(snapshot_id))
            except SnapshotNotFound:  # forgotten while we listed
                continue
            except RepositoryCorrupt as error:
                # Callers that pick a snapshot check for damaged ids themselves; a
                # warning here would break the one-line error rule of every command.
                _log.debug("%s", error)
        return found

    def delete_manifest(self, snapshot_id: str) -> None:
        """Forget a snapshot (its chunks stay until ``prune``); a missing one is fine."""
        if _SNAPSHOT_ID.fullmatch(snapshot_id):
            self.storage.delete(_snapshot_path(snapshot_id))

    # -- maintenance -------------------------------------------------------------------

    def config_problems(self) -> list[str]:
        """What is wrong with the stored config now, compared with what was opened."""
        raw = _read_or_none(self.storage, CONFIG_PATH)
        if raw is None:
            return ["the config file is missing"]
        if raw != self._config_raw:
            try:
                parse_config(raw, self.location)
            except RepositoryCorrupt:
                return ["the config file is damaged"]
            return ["the config file changed after the repository was opened"]
        return []

    def verify(
        self, *, read_data: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> VerifyReport:
        """Check config, manifests, parents and chunks (``read_data``: read every chunk)."""
        return verify_repository(self, read_data=read_data, progress=progress)

    def prune(self, *, dry_run: bool = False, wait: float = 120.0) -> PruneReport:
        """Delete unreferenced chunks and temp files; takes the writer lock itself."""
        return prune_repository(self, dry_run=dry_run, wait=wait)


def _chunk_path(chunk_id: str) -> str:
    return f"chunks/{chunk_id[:2]}/{chunk_id}"


def _snapshot_path(snapshot_id: str) -> str:
    return f"snapshots/{snapshot_id}"


def _aad(kind: str, name: str) -> bytes:
    return f"{kind}:{name}".encode()


def _read_or_none(storage: Storage, path: str) -> bytes | None:
    try:
        return storage.read(path)
    except FileNotFoundError:
        return None


def _refuse_orphaned(storage: Storage) -> None:
    # Chunks or snapshots without a config mean the keys are gone; a new config would
    # silently start a second, unrelated repository on top of them.
    if storage.files("snapshots") or storage.files("chunks"):
        raise RepositoryCorrupt(
            f"repository {storage.location} has snapshots or chunks but no config file",
            hint="restore the config file from a copy; without it the data cannot be read",
        )
