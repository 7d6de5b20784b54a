"""Verify and prune: the repository's structure checks and garbage collection."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from datasteward.repository.errors import RepositoryCorrupt, SnapshotNotFound

if TYPE_CHECKING:
    from datasteward.repository.repository import Repository

__all__ = ["PruneReport", "VerifyReport", "prune_repository", "referenced_chunks"]

Progress = Callable[[int, int], None]
_BATCH = 256  # chunks read in parallel at a time: bounds memory, keeps the cores busy


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found; ``ok`` is False when any snapshot cannot be restored."""

    ok: bool
    snapshots: int
    chunks: int  # distinct chunks the snapshots reference
    damaged_snapshots: dict[str, str] = field(default_factory=dict)
    damaged_chunks: dict[str, str] = field(default_factory=dict)  # missing ones too
    missing_parents: dict[str, str] = field(default_factory=dict)  # snapshot → its parent id
    unreferenced_chunks: int = 0
    config_problems: tuple[str, ...] = ()
    chunks_read: int = 0
    temp_files: int = 0  # left by killed writers; harmless, removed by prune

    def messages(self) -> list[str]:
        """One line per problem, for people."""
        lines = [f"config: {problem}" for problem in self.config_problems]
        lines += [f"snapshot {sid}: {why}" for sid, why in self.damaged_snapshots.items()]
        lines += [
            f"snapshot {sid}: its parent {parent} is missing"
            for sid, parent in self.missing_parents.items()
        ]
        lines += [f"chunk {cid}: {why}" for cid, why in self.damaged_chunks.items()]
        return lines


@dataclass(frozen=True)
class PruneReport:
    """What ``prune`` deleted (or would delete, with ``dry_run``)."""

    dry_run: bool
    chunks_deleted: int
    bytes_deleted: int
    temp_files_deleted: int
    temp_bytes_deleted: int
    chunks_kept: int
    bytes_kept: int


def referenced_chunks(manifest: dict[str, Any]) -> list[str]:
    """The chunk ids of a manifest's ``chunks`` (ids, or objects with an ``id``)."""
    chunks = manifest.get("chunks", [])
    if not isinstance(chunks, list):
        raise ValueError("its chunk list is not a list")
    ids = []
    for item in chunks:
        chunk_id = item.get("id") if isinstance(item, dict) else item
        if not isinstance(chunk_id, str):
            raise ValueError(f"its chunk list holds {chunk_id!r}, not a chunk id")
        ids.append(chunk_id)
    return ids


def verify_repository(
    repo: Repository, *, read_data: bool, progress: Progress | None
) -> VerifyReport:
    """Check everything a restore needs (see ``Repository.verify``).

    ``progress(done, total)`` is called per manifest and per referenced chunk; ``total``
    grows once the manifests have been read and their chunks are known.
    """
    ids = repo.snapshot_ids()
    stored = repo.chunk_ids()
    report = _Findings()
    users: dict[str, list[str]] = {}
    parents: dict[str, str] = {}
    for done, snapshot_id in enumerate(ids, 1):
        try:
            manifest = repo.read_manifest(snapshot_id)
            for chunk_id in referenced_chunks(manifest):
                users.setdefault(chunk_id, []).append(snapshot_id)
        except SnapshotNotFound:  # forgotten while we looked
            continue
        except RepositoryCorrupt as error:
            report.damaged_snapshots[snapshot_id] = error.message
        except ValueError as error:
            report.damaged_snapshots[snapshot_id] = f"manifest is malformed: {error}"
        else:
            report.readable.add(snapshot_id)
            if isinstance(manifest.get("parent"), str):
                parents[snapshot_id] = manifest["parent"]
        if progress:
            progress(done, len(ids))
    known = report.readable | report.damaged_snapshots.keys()  # damaged ones are reported
    missing_parents = {sid: parent for sid, parent in parents.items() if parent not in known}
    _check_chunks(repo, users, stored, report, read_data, progress, len(ids))
    files = repo.storage.files("chunks") + repo.storage.files("snapshots")
    config_problems = tuple(repo.config_problems())
    return VerifyReport(
        ok=not (
            config_problems or report.damaged_snapshots or report.damaged_chunks or missing_parents
        ),
        snapshots=len(report.readable) + len(report.damaged_snapshots),
        chunks=len(users),
        damaged_snapshots=report.damaged_snapshots,
        damaged_chunks=report.damaged_chunks,
        missing_parents=missing_parents,
        unreferenced_chunks=len(stored - users.keys()),
        config_problems=config_problems,
        chunks_read=report.chunks_read,
        temp_files=sum(1 for stored_file in files if stored_file.is_temp),
    )


def prune_repository(repo: Repository, *, dry_run: bool, wait: float) -> PruneReport:
    """Delete chunks no manifest references and temp files, under the writer lock.

    Refuses (``RepositoryCorrupt``) while any manifest is damaged: its chunks would look
    unreferenced and be deleted for good.
    """
    with repo.writer_lock(wait=wait, purpose="prune"):
        referenced: set[str] = set()
        for snapshot_id in repo.snapshot_ids():
            try:
                referenced.update(referenced_chunks(repo.read_manifest(snapshot_id)))
            except (RepositoryCorrupt, ValueError) as error:
                raise RepositoryCorrupt(
                    f"cannot prune {repo.location}: snapshot {snapshot_id} is damaged, and its "
                    f"chunks would look unused ({error})",
                    hint="run `steward verify`, then forget the damaged snapshot",
                ) from None
        stored = repo.storage.files("chunks") + repo.storage.files("snapshots")
        temp = [item for item in stored if item.is_temp]
        names = repo.chunk_ids()
        chunks = {item.name: item for item in stored if item.name in names}
        garbage = [item for name, item in chunks.items() if name not in referenced]
        if not dry_run:
            for item in temp + garbage:
                repo.storage.delete(item.path)
    kept = [item for name, item in chunks.items() if name in referenced]
    return PruneReport(
        dry_run=dry_run,
        chunks_deleted=len(garbage),
        bytes_deleted=sum(item.size for item in garbage),
        temp_files_deleted=len(temp),
        temp_bytes_deleted=sum(item.size for item in temp),
        chunks_kept=len(kept),
        bytes_kept=sum(item.size for item in kept),
    )


@dataclass
class _Findings:
    readable: set[str] = field(default_factory=set)
    damaged_snapshots: dict[str, str] = field(default_factory=dict)
    damaged_chunks: dict[str, str] = field(default_factory=dict)
    chunks_read: int = 0


def _check_chunks(
    repo: Repository,
    users: dict[str, list[str]],
    stored: set[str],
    report: _Findings,
    read_data: bool,
    progress: Progress | None,
    done: int,
) -> None:
    total = done + len(users)
    missing = [chunk_id for chunk_id in users if chunk_id not in stored]
    for chunk_id in missing:
        report.damaged_chunks[chunk_id] = f"missing (used by {_names(users[chunk_id])})"
    done += len(missing)
    present = [chunk_id for chunk_id in users if chunk_id in stored]
    if not read_data:
        if progress:
            progress(total, total)
        return
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        for batch in _batches(present):
            for chunk_id, problem in zip(batch, pool.map(repo.check_chunk, batch), strict=True):
                report.chunks_read += 1
                if problem:
                    report.damaged_chunks[chunk_id] = (
                        f"{problem} (used by {_names(users[chunk_id])})"
                    )
                done += 1
                if progress:
                    progress(done, total)


def _batches(items: list[str]) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


def _names(snapshot_ids: list[str], shown: int = 3) -> str:
    more = len(snapshot_ids) - shown
    listed = ", ".join(snapshot_ids[:shown])
    return f"{listed} and {more} more" if more > 0 else listed
