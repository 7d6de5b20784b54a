"""``steward forget``: apply keep-rules per dataset, optionally prune unused chunks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from datasteward.services.backup.catalog import open_repository, snapshots

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.repository import PruneReport, RetentionPolicy
    from datasteward.services.backup.manifest import Manifest

__all__ = ["ForgetResult", "forget_snapshots"]


@dataclass(frozen=True)
class ForgetResult:
    keep: list[Manifest]
    forget: list[Manifest]
    prune: PruneReport | None
    dry_run: bool


def forget_snapshots(
    project: Project,
    dataset: str | None,
    policy: RetentionPolicy,
    *,
    prune: bool = False,
    dry_run: bool = False,
) -> ForgetResult:
    """Forget the snapshots the policy does not keep (a kept delta keeps its bases)."""
    from datasteward.repository import select_forgettable

    repository = open_repository(project, create=False)
    with repository.writer_lock(purpose="forget"):
        every = snapshots(repository)
        chosen = [m for m in every if dataset is None or m.dataset == dataset]
        keep_ids, forget_ids = select_forgettable([_entry(m) for m in chosen], policy)
        by_id = {m.id: m for m in chosen}
        if not dry_run:
            for snapshot_id in forget_ids:
                repository.delete_manifest(snapshot_id)
        report = repository.prune(dry_run=dry_run) if prune else None
    return ForgetResult(
        [by_id[i] for i in keep_ids], [by_id[i] for i in forget_ids], report, dry_run
    )


def _entry(manifest: Manifest) -> dict[str, object]:
    return {
        "id": manifest.id,
        "dataset": manifest.dataset,
        "created_at": manifest.created_at,
        "parent": manifest.parent,
    }
