"""Errors of the backup repository, as subclasses of the project's error tree.

::

    StewardError
    ├── RepositoryCorrupt          a chunk, manifest or the config is damaged or missing → 1
    ├── ConfigError
    │   ├── WrongPassphrase        missing or wrong passphrase for an encrypted repository → 2
    │   └── NotEncrypted           a passphrase was given for an unencrypted repository → 2
    ├── UsageError
    │   └── SnapshotNotFound       no snapshot with that id                             → 2
    └── SourceError
        ├── RepositoryLocked       another writer holds the lock                        → 3
        └── RepositoryUnavailable  no repository there, or a newer format               → 3
"""

from __future__ import annotations

from datasteward.errors import ConfigError, ExitCode, SourceError, StewardError, UsageError

__all__ = [
    "NotEncrypted",
    "RepositoryCorrupt",
    "RepositoryLocked",
    "RepositoryUnavailable",
    "SnapshotNotFound",
    "WrongPassphrase",
]


class RepositoryCorrupt(StewardError):
    """Stored data failed its authentication tag or hash, or is missing."""

    exit_code = ExitCode.CHECKS_FAILED


class WrongPassphrase(ConfigError):
    """The repository is encrypted and the passphrase is missing or wrong."""


class NotEncrypted(ConfigError):
    """A passphrase was configured for a repository that is not encrypted."""


class SnapshotNotFound(UsageError):
    """No snapshot has the id that was asked for."""


class RepositoryLocked(SourceError):
    """Another writer holds the repository lock and did not release it in time."""


class RepositoryUnavailable(SourceError):
    """There is no repository at the location, or it was written by a newer Steward."""
