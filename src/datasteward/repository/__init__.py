"""Backup storage: deduplicated, compressed, optionally encrypted chunks and manifests.

::

    from datasteward.repository import Repository

    repo = Repository.open(".steward/backups", passphrase=os.environ.get("…"))
    with repo.writer_lock(purpose="backup"):
        refs = [repo.put_chunk(data) for data in pieces]
        repo.write_manifest(snapshot_id, {"chunks": [ref.id for ref in refs], …})
"""

from __future__ import annotations

from datasteward.repository.errors import (
    NotEncrypted,
    RepositoryCorrupt,
    RepositoryLocked,
    RepositoryUnavailable,
    SnapshotNotFound,
    WrongPassphrase,
)
from datasteward.repository.locking import LockInfo
from datasteward.repository.maintenance import PruneReport, VerifyReport, referenced_chunks
from datasteward.repository.repository import ChunkRef, Repository
from datasteward.repository.retention import (
    RetentionPlan,
    RetentionPolicy,
    plan_retention,
    select_forgettable,
)

__all__ = [
    "ChunkRef",
    "LockInfo",
    "NotEncrypted",
    "PruneReport",
    "Repository",
    "RepositoryCorrupt",
    "RepositoryLocked",
    "RepositoryUnavailable",
    "RetentionPlan",
    "RetentionPolicy",
    "SnapshotNotFound",
    "VerifyReport",
    "WrongPassphrase",
    "plan_retention",
    "referenced_chunks",
    "select_forgettable",
]
