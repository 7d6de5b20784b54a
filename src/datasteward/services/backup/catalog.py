"""Opening the configured repository and finding snapshots in it."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING

from datasteward.errors import ConfigError, UsageError, did_you_mean
from datasteward.services.backup.manifest import Manifest, new_snapshot_id

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.repository import Repository

__all__ = [
    "chain_of",
    "find_snapshot",
    "latest",
    "open_repository",
    "snapshot_by_reference",
    "snapshots",
]


def open_repository(project: Project, *, create: bool = True) -> Repository:
    """The project's repository, unlocked with the passphrase from the configured variable."""
    from datasteward.repository import Repository

    passphrase = None
    encryption = project.backups.encryption
    if encryption is not None:
        passphrase = os.environ.get(encryption.passphrase_env)
        if not passphrase:
            raise ConfigError(
                f"the backup repository is encrypted: environment variable "
                f"{encryption.passphrase_env} is not set",
                hint=f"export {encryption.passphrase_env}=...",
            )
    return Repository.open(project.repository_location(), passphrase=passphrase, create=create)


def snapshots(repository: Repository, dataset: str | None = None) -> list[Manifest]:
    """Readable snapshots, oldest first."""
    found = [Manifest.from_dict(m) for m in repository.manifests()]
    if dataset is not None:
        found = [m for m in found if m.dataset == dataset]
    return sorted(found, key=lambda m: (m.created_at, m.id))


def latest(repository: Repository, dataset: str) -> Manifest | None:
    found = snapshots(repository, dataset)
    return found[-1] if found else None


def chain_of(repository: Repository, manifest: Manifest) -> list[Manifest]:
    """The full snapshot a snapshot rests on, then each delta up to it."""
    chain = [manifest]
    while chain[0].parent is not None:
        chain.insert(0, Manifest.from_dict(repository.read_manifest(chain[0].parent)))
    return chain


def find_snapshot(
    repository: Repository,
    dataset: str,
    *,
    snapshot_id: str | None = None,
    at: datetime | None = None,
    last_good: bool = False,
) -> Manifest:
    """The snapshot a user means by ``--snapshot``, ``--at`` or ``--last-good`` (else latest).

    A damaged manifest cannot say which dataset it belongs to, so a choice it could have
    changed (it is newer, or it is the id asked for) fails instead of quietly falling back
    to an older snapshot.
    """
    if snapshot_id is not None:
        _refuse_if_damaged_could_matter(repository, None, snapshot_id, at)
    chosen = _choose(repository, dataset, snapshot_id=snapshot_id, at=at, last_good=last_good)
    if snapshot_id is None:
        _refuse_if_damaged_could_matter(repository, chosen, snapshot_id, at)
    return chosen


def _refuse_if_damaged_could_matter(
    repository: Repository, chosen: Manifest | None, snapshot_id: str | None, at: datetime | None
) -> None:
    from datasteward.repository import RepositoryCorrupt

    readable = {m["id"] for m in repository.manifests()}
    damaged = [i for i in repository.snapshot_ids() if i not in readable]
    if snapshot_id is not None:
        damaged = [i for i in damaged if i == snapshot_id or i.startswith(snapshot_id)]
    else:
        limit = new_snapshot_id(at).split("-")[0] + "~" if at is not None else None
        assert chosen is not None
        damaged = [i for i in damaged if i > chosen.id and (limit is None or i <= limit)]
    if damaged:
        raise RepositoryCorrupt(
            f"snapshot {damaged[0]} is damaged and may be the one you asked for",
            hint="run 'steward verify --read-data'; choose another one with --snapshot ID",
        )


def _choose(
    repository: Repository,
    dataset: str,
    *,
    snapshot_id: str | None,
    at: datetime | None,
    last_good: bool,
) -> Manifest:
    candidates = snapshots(repository, dataset)
    if not candidates:
        raise UsageError(f"no snapshot of {dataset!r} yet", hint=f"run 'steward backup {dataset}'")
    if snapshot_id is not None:
        matches = [m for m in candidates if m.id == snapshot_id or m.id.startswith(snapshot_id)]
        if len(matches) != 1:
            problem = "is ambiguous" if matches else "not found"
            raise UsageError(
                f"snapshot {snapshot_id!r} of {dataset!r} {problem}",
                hint=did_you_mean(snapshot_id, [m.id for m in candidates])
                or "see 'steward snapshots'",
            )
        return matches[0]
    if at is not None:
        before = [m for m in candidates if m.created <= at]
        if not before:
            raise UsageError(f"no snapshot of {dataset!r} at or before {at.isoformat()}")
        return before[-1]
    if last_good:
        good = [m for m in candidates if m.quality == "pass"]
        if not good:
            raise UsageError(
                f"no snapshot of {dataset!r} was taken after a passing scan",
                hint="scan before backing up, or choose --snapshot ID",
            )
        return good[-1]
    return candidates[-1]


def snapshot_by_reference(repository: Repository, dataset: str, reference: str) -> Manifest:
    """A snapshot named the way users write it: ``last_snapshot``, a time (the latest at or
    before it), or a snapshot id or unique prefix."""
    from datasteward.services.times import parse_timestamp

    if reference == "last_snapshot":
        return find_snapshot(repository, dataset)
    try:
        moment = parse_timestamp(reference)
    except ValueError:
        return find_snapshot(repository, dataset, snapshot_id=reference)
    return find_snapshot(repository, dataset, at=moment)
