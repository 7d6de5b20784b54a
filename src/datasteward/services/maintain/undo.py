"""The audit log and undo: put a dataset back as it was before a recorded change.

An undo restores the snapshot taken just before the change (in one transaction, or an
atomic rename for files), after a safety snapshot of what it replaces, and is recorded as
a change of its own, so it can be undone too. It refuses when the data no longer has the
fingerprint recorded right after the change: something changed it since, and restoring
would silently discard that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from datasteward.errors import UsageError
from datasteward.services.maintain.apply import current_user, open_target
from datasteward.services.maintain.fingerprint import data_fingerprint
from datasteward.services.maintain.quarantine import moved_at, quarantine_file, quarantine_table
from datasteward.services.sources import SourcePool

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.services.backup import Manifest
    from datasteward.services.maintain.target import Target
    from datasteward.store.changes import ChangeRow

__all__ = ["UndoPlan", "apply_undo", "list_changes", "plan_undo"]


def list_changes(project: Project, dataset: str | None = None, limit: int = 100) -> list[ChangeRow]:
    """Recorded changes (of one dataset when given), newest first."""
    from datasteward.store import Store

    with Store.open(project.store_url()) as store:
        return store.changes.recent(dataset, limit)


@dataclass(frozen=True)
class UndoPlan:
    change: ChangeRow
    snapshot: Manifest


def plan_undo(project: Project, change_id: int, *, force: bool = False) -> UndoPlan:
    """Find the change and its snapshot, and refuse (unless ``force``) when the data moved on."""
    from datasteward.services.backup import find_snapshot, open_repository
    from datasteward.store import Store

    with Store.open(project.store_url()) as store:
        change = store.changes.get(change_id)
        if change is None:
            raise UsageError(f"no change {change_id}", hint="see 'steward changes'")
        later = store.changes.later(change)
        undid = None if change.undoes is None else store.changes.get(change.undoes)
    if undid is not None and undid.details.get("kind") == "quarantine":
        # The undo took the rows out of the quarantine; going back would lose them there.
        raise UsageError(
            f"change {change_id} undid a quarantine; quarantine the rows again instead",
            hint=f"steward fix {undid.dataset} --quarantine CHECK",
        )
    if change.undone:
        raise UsageError(f"change {change_id} is already undone")
    if change.dataset not in project.datasets:
        raise UsageError(
            f"change {change_id} changed dataset {change.dataset!r}, which steward.yml no "
            "longer defines"
        )
    if change.snapshot_id is None:
        raise UsageError(f"change {change_id} has no snapshot to go back to")
    repository = open_repository(project, create=False)
    snapshot = find_snapshot(repository, change.dataset, snapshot_id=change.snapshot_id)
    if not force:
        _refuse_if_changed_since(project, change, later)
    return UndoPlan(change, snapshot)


def _refuse_if_changed_since(project: Project, change: ChangeRow, later: list[ChangeRow]) -> None:
    with SourcePool(project) as pool:
        target = open_target(project, change.dataset, pool)
        current = data_fingerprint(target.engine, target.relation)
    if current == change.fingerprint:
        return
    since = (
        f"change {later[-1].id} ({later[-1].action}) was applied after it"
        if later
        else "something else changed it"
    )
    raise UsageError(
        f"the data of {change.dataset!r} changed since change {change.id}: {since}; "
        "undoing would discard that",
        hint=f"undo the later changes first, or pass --force to go back to the state "
        f"before change {change.id} anyway",
    )


def apply_undo(project: Project, plan: UndoPlan, *, user: str | None = None) -> ChangeRow:
    """Restore the pre-change snapshot and record the undo (marking the change undone)."""
    from datasteward.services.backup import backup_dataset, restore_snapshot
    from datasteward.store import Store

    change = plan.change
    at = datetime.now(UTC)
    with Store.open(project.store_url()) as store:
        safety = backup_dataset(project, change.dataset, tags=["before-undo"])
        restore_snapshot(project, plan.snapshot, replace=True)
        with SourcePool(project) as pool:
            target = open_target(project, change.dataset, pool)
            _release_quarantined(target, change)
            fingerprint = data_fingerprint(target.engine, target.relation)
        return store.changes.record(
            at=at,
            user=user or current_user(),
            dataset=change.dataset,
            action=f"undo {change.id} ({change.action})",
            rows_affected=change.rows_affected,
            snapshot_id=safety.id,
            fingerprint=fingerprint,
            undoes=change.id,
            details={"kind": "undo"},
        )


def _release_quarantined(target: Target, change: ChangeRow) -> None:
    """Rows a quarantine moved are back in the dataset: drop them from the quarantine."""
    if change.details.get("kind") != "quarantine" or "at" not in change.details:
        return
    from sqlglot import exp

    moved = moved_at(datetime.fromisoformat(change.details["at"]))
    engine = target.engine
    if engine.changes_in_place:
        quarantine = quarantine_table(target.table())
        engine.execute_in_transaction([exp.Delete(this=quarantine, where=exp.Where(this=moved))])
        return
    from datasteward.engines.files import FilesEngine, write_file

    assert isinstance(engine, FilesEngine)
    path = quarantine_file(engine.single_file(target.config, hint="undo needs the one file"))
    if not path.exists():
        return
    reader = engine.stream(
        exp.select("*")
        .from_(exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(str(path))]))
        .where(exp.Not(this=exp.Coalesce(this=moved, expressions=[exp.false()])))
    )
    write_file(path, "parquet", reader.schema, reader)
