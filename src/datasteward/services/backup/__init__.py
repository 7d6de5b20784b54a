"""The backup service: snapshots (full and delta), restore, verify and retention."""

from datasteward.services.backup.catalog import (
    find_snapshot,
    open_repository,
    snapshot_by_reference,
    snapshots,
)
from datasteward.services.backup.create import BackupProgress, backup_dataset
from datasteward.services.backup.manifest import Manifest
from datasteward.services.backup.restore import RestoreResult, restore_snapshot

__all__ = [
    "BackupProgress",
    "Manifest",
    "RestoreResult",
    "backup_dataset",
    "find_snapshot",
    "open_repository",
    "restore_snapshot",
    "snapshot_by_reference",
    "snapshots",
]
