"""Preview and apply a fix: snapshot first, change in one transaction, then record it.

Database sources run the action's DML in one transaction on a writable connection; files
sources get their new content from a DuckDB SELECT over the file, written to a temp file
and renamed into place. Either way a reader (or a crash) sees all of the old data or all
of the new.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasteward.compile.context import ScanContext
from datasteward.engines.base import QueryError
from datasteward.errors import UsageError
from datasteward.services.maintain.actions import FixRequest, build_action
from datasteward.services.maintain.fingerprint import data_fingerprint
from datasteward.services.maintain.quarantine import Quarantine, quarantine_file
from datasteward.services.maintain.target import Action, Preview, Target
from datasteward.services.selection import select_datasets
from datasteward.services.sources import SourcePool

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.store.changes import ChangeRow

__all__ = ["FixResult", "apply_fix", "current_user", "open_target", "preview_fix"]


@dataclass(frozen=True)
class FixResult:
    """What a fix would do (dry run) or did."""

    dataset: str
    action: str
    rows_affected: int
    dry_run: bool
    before: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)
    change: ChangeRow | None = None  # None for a dry run or when nothing needed changing

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "action": self.action,
            "dry_run": self.dry_run,
            "rows_affected": self.rows_affected,
            "change_id": self.change.id if self.change else None,
            "snapshot_id": self.change.snapshot_id if self.change else None,
            "samples": {"before": self.before, "after": self.after},
        }


def current_user() -> str:
    """Who is changing data, as the operating system names them."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_target(project: Project, dataset: str, pool: SourcePool) -> Target:
    select_datasets(project, [dataset])
    ref = pool.dataset(dataset)
    ctx = ScanContext(
        dataset, ref.source, ref.engine, ref.relation, ref.columns, datetime.now(UTC), pool.dataset
    )
    return Target(dataset, project.datasets[dataset], ctx)


def preview_fix(
    project: Project, dataset: str, request: FixRequest, *, samples: int = 5
) -> FixResult:
    """Count the rows a fix would change and show a few before and after; change nothing."""
    with SourcePool(project) as pool:
        target = open_target(project, dataset, pool)
        action = build_action(request, target, datetime.now(UTC))
        preview = _preview(action, target, samples)
    return FixResult(dataset, action.describe(), preview.rows, True, preview.before, preview.after)


def apply_fix(
    project: Project,
    dataset: str,
    request: FixRequest,
    *,
    samples: int = 5,
    user: str | None = None,
) -> FixResult:
    """Snapshot the dataset, apply the fix in one transaction, and record it in the audit log.

    Nothing is snapshotted or recorded when no row needs changing.
    """
    from datasteward.services.backup import backup_dataset
    from datasteward.store import Store

    at = datetime.now(UTC)
    # Opened first: an unreachable store must stop the fix before it changes anything.
    with Store.open(project.store_url()) as store, SourcePool(project) as pool:
        target = open_target(project, dataset, pool)
        action = build_action(request, target, at)
        preview = _preview(action, target, samples)
        result = FixResult(
            dataset, action.describe(), preview.rows, False, preview.before, preview.after
        )
        if preview.rows == 0:
            return result
        path = None if target.engine.changes_in_place else _writable_file(target)
        snapshot = backup_dataset(project, dataset, tags=["before-fix"], pool=pool)
        if path is None:
            rows = target.engine.execute_in_transaction(action.statements(target))[-1]
        else:
            rows = _rewrite(action, target, path, preview)
        change = store.changes.record(
            at=datetime.now(UTC),
            user=user or current_user(),
            dataset=dataset,
            action=action.describe(),
            rows_affected=rows,
            snapshot_id=snapshot.id,
            fingerprint=data_fingerprint(target.engine, target.relation),
            details=_details(action, target, path),
        )
    return FixResult(dataset, change.action, rows, False, preview.before, preview.after, change)


def _preview(action: Action, target: Target, samples: int) -> Preview:
    try:
        return action.preview(target, samples)
    except QueryError as error:
        raise UsageError(
            f"cannot compute '{action.describe()}' on {target.dataset!r}: {error}",
            hint="check the SQL and column types; --dry-run shows what would change",
        ) from None


def _writable_file(target: Target) -> Path:
    from datasteward.engines.files import FilesEngine, format_of_path

    engine = target.engine
    assert isinstance(engine, FilesEngine)
    path = engine.single_file(target.config, hint="fix a dataset stored in one file")
    file_format = target.config.format or format_of_path(path)
    if file_format not in ("parquet", "csv"):
        raise UsageError(
            f"cannot rewrite {file_format} files: dataset {target.dataset!r} is {path.name}",
            hint="fix datasets stored as .parquet or .csv",
        )
    return path


def _rewrite(action: Action, target: Target, path: Path, preview: Preview) -> int:
    """Replace the file with the action's new content (temp file, fsync, rename)."""
    if isinstance(action, Quarantine):
        _append_to_quarantine(target, action, quarantine_file(path))
    reader = target.engine.stream(action.rewrite(target))
    target.engine.write(target.config, None, reader.schema, reader)
    return preview.rows


def _append_to_quarantine(target: Target, action: Quarantine, path: Path) -> None:
    from sqlglot import exp

    from datasteward.engines.files import write_file

    moved = action.moved(target)
    if path.exists():
        kept = exp.select("*").from_(
            exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(str(path))])
        )
        union = exp.union(kept, moved, distinct=False)
        union.set("by_name", True)
        moved = exp.select("*").from_(union.subquery("quarantine"))
    reader = target.engine.stream(moved)
    write_file(path, "parquet", reader.schema, reader)


def _details(action: Action, target: Target, path: Path | None) -> dict[str, Any]:
    """What an undo needs beyond the snapshot: where quarantined rows went."""
    if not isinstance(action, Quarantine):
        return {"kind": action.kind}
    place = str(quarantine_file(path)) if path else target.table().sql(target.dialect)
    return {"kind": action.kind, "quarantine": place, "at": action.at.isoformat()}
