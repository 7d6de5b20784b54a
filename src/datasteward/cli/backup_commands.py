"""Backup doors: backup, snapshots, restore, verify, forget (DESIGN.md section 4)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from datasteward.cli.main import (
    DEFAULT_CONFIG,
    ConfigOption,
    TableFormat,
    _console,
    _parse_time,
    _project,
    app,
    work_done,
)
from datasteward.errors import ExitCode

if TYPE_CHECKING:
    from datasteward.services.backup import Manifest


@app.command()
def backup(
    datasets: Annotated[list[str], typer.Argument(help="Datasets to snapshot.")],
    config: ConfigOption = DEFAULT_CONFIG,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Label the snapshot (repeatable).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Store a full snapshot, not a delta.")
    ] = False,
    format: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.text,
) -> None:
    """Snapshot datasets into the backup repository; prints each snapshot id."""
    from datasteward.cli.backup_progress import backup_with_progress
    from datasteward.services.selection import select_datasets

    project = _project(config)
    names = select_datasets(project, datasets)
    made = [
        backup_with_progress(project, name, tag or [], full, quiet=format != TableFormat.text)
        for name in names
    ]
    if format == TableFormat.json:
        sys.stdout.write(json.dumps([m.summary() for m in made], indent=2) + "\n")
    else:
        for manifest in made:
            _console().print(
                f"{manifest.id}  {manifest.dataset}  {manifest.kind}  {manifest.rows:,} rows  "
                f"{_size(manifest.bytes)} logical, {_size(manifest.bytes_added)} added"
            )
    work_done()  # every snapshot's manifest is written and its sources are closed


@app.command()
def snapshots(
    dataset: Annotated[str | None, typer.Argument(help="Only this dataset.")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    format: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.text,
) -> None:
    """List snapshots, oldest first."""
    from datasteward.services.backup import open_repository
    from datasteward.services.backup import snapshots as list_snapshots

    project = _project(config)
    found = list_snapshots(open_repository(project, create=False), dataset)
    if format == TableFormat.json:
        sys.stdout.write(json.dumps([m.summary() for m in found], indent=2) + "\n")
        return
    _print_snapshots(found)


def _print_snapshots(found: list[Manifest]) -> None:
    from rich.table import Table

    from datasteward.cli.render import STATUS_STYLES

    table = Table(title="snapshots", title_justify="left")
    for heading in ("id", "dataset", "created", "kind", "rows", "size", "added", "tags", "quality"):
        table.add_column(
            heading, justify="right" if heading in {"rows", "size", "added"} else "left"
        )
    for m in found:
        style = STATUS_STYLES.get(m.quality, "dim")
        table.add_row(
            m.id,
            m.dataset,
            m.created_at[:19].replace("T", " "),
            m.kind,
            f"{m.rows:,}",
            _size(m.bytes),
            _size(m.bytes_added),
            ", ".join(m.tags),
            f"[{style}]{m.quality}[/]",
        )
    _console().print(table if found else "no snapshots yet: run 'steward backup DATASET'")


@app.command()
def restore(
    dataset: Annotated[str, typer.Argument(help="Dataset to restore.")],
    config: ConfigOption = DEFAULT_CONFIG,
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="Snapshot id (or a unique prefix).")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Latest snapshot at or before this time.")
    ] = None,
    last_good: Annotated[
        bool, typer.Option("--last-good", help="Latest snapshot whose scan passed.")
    ] = False,
    to: Annotated[Path | None, typer.Option("--to", help="Write a .parquet or .csv file.")] = None,
    to_table: Annotated[
        str | None, typer.Option("--to-table", help="Create a new table in the source.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the live data atomically.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Restore a snapshot to a file, a new table, or in place of the live data."""
    from datasteward.cli.confirm import confirm_or_abort
    from datasteward.services.backup import (
        backup_dataset,
        find_snapshot,
        open_repository,
        restore_snapshot,
    )
    from datasteward.services.selection import select_datasets

    project = _project(config)
    select_datasets(project, [dataset])
    if sum([snapshot is not None, at is not None, last_good]) > 1:
        from datasteward.errors import UsageError

        raise UsageError("choose at most one of --snapshot, --at, --last-good")
    manifest = find_snapshot(
        open_repository(project, create=False),
        dataset,
        snapshot_id=snapshot,
        at=_parse_time(at, "--at"),
        last_good=last_good,
    )
    if replace:
        confirm_or_abort(f"Replace the live data of {dataset!r} with snapshot {manifest.id}?", yes)

    def safety() -> str:
        return backup_dataset(project, dataset, tags=["before-restore"]).id

    result = restore_snapshot(
        project,
        manifest,
        to_path=to,
        to_table=to_table,
        replace=replace,
        take_safety_snapshot=safety,
    )
    message = f"restored {result.rows:,} rows of snapshot {result.snapshot_id} to {result.target}"
    if result.safety_snapshot:
        message += f" (the replaced data is snapshot {result.safety_snapshot})"
    _console().print(message)
    work_done()  # the restored data is committed and the target closed


@app.command()
def verify(
    config: ConfigOption = DEFAULT_CONFIG,
    read_data: Annotated[
        bool, typer.Option("--read-data", help="Re-read and authenticate every chunk.")
    ] = False,
    format: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.text,
) -> None:
    """Check the backup repository; exit 1 when anything is damaged."""
    from datasteward.services.backup import open_repository

    project = _project(config)
    report = open_repository(project, create=False).verify(read_data=read_data)
    payload = {
        "ok": report.ok,
        "snapshots": report.snapshots,
        "chunks": report.chunks,
        "damaged_snapshots": report.damaged_snapshots,
        "damaged_chunks": report.damaged_chunks,
    }
    if format == TableFormat.json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        console = _console()
        for snapshot_id, reason in report.damaged_snapshots.items():
            console.print(f"[bold red]damaged snapshot[/] {snapshot_id}: {reason}")
        for chunk_id, reason in report.damaged_chunks.items():
            console.print(f"[bold red]damaged chunk[/] {chunk_id}: {reason}")
        verdict = "[green]no damage found[/]" if report.ok else "[bold red]damage found[/]"
        console.print(f"{report.snapshots} snapshots, {report.chunks} chunks checked: {verdict}")
    raise typer.Exit(ExitCode.OK if report.ok else ExitCode.CHECKS_FAILED)


@app.command()
def forget(
    dataset: Annotated[str | None, typer.Argument(help="Only this dataset's snapshots.")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    keep_last: Annotated[int | None, typer.Option("--keep-last", min=0)] = None,
    keep_daily: Annotated[int | None, typer.Option("--keep-daily", min=0)] = None,
    keep_weekly: Annotated[int | None, typer.Option("--keep-weekly", min=0)] = None,
    keep_monthly: Annotated[int | None, typer.Option("--keep-monthly", min=0)] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Delete chunks no snapshot uses.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would go.")] = False,
) -> None:
    """Forget snapshots the keep-rules do not keep; --prune frees their space."""
    from datasteward.errors import UsageError
    from datasteward.repository import RetentionPolicy
    from datasteward.services.backup.retention import forget_snapshots

    if all(v is None for v in (keep_last, keep_daily, keep_weekly, keep_monthly)) and not prune:
        raise UsageError("give at least one --keep-* rule (or --prune)")
    project = _project(config)
    policy = RetentionPolicy(
        keep_last=keep_last,
        keep_daily=keep_daily,
        keep_weekly=keep_weekly,
        keep_monthly=keep_monthly,
    )
    if all(v is None for v in (keep_last, keep_daily, keep_weekly, keep_monthly)):
        policy = RetentionPolicy(keep_last=10**9)
    result = forget_snapshots(project, dataset, policy, prune=prune, dry_run=dry_run)
    console = _console()
    verb = "would forget" if dry_run else "forgot"
    for m in result.forget:
        console.print(f"{verb} {m.id}  {m.dataset}  {m.created_at[:19]}")
    console.print(f"{len(result.keep)} kept, {len(result.forget)} {verb.split()[-1]}")
    if result.prune is not None:
        console.print(f"prune: {result.prune}")


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


@app.command()
def diff(
    dataset: Annotated[str, typer.Argument(help="Dataset to compare.")],
    config: ConfigOption = DEFAULT_CONFIG,
    from_: Annotated[
        str, typer.Option("--from", help="Snapshot id (or prefix) or a time: the 'before' side.")
    ] = "",
    to: Annotated[
        str | None,
        typer.Option("--to", help="Snapshot id for the 'after' side (default: current data)."),
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=0, help="Sample rows per kind of change.")
    ] = 5,
    format: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.text,
) -> None:
    """Rows added, removed and changed between a snapshot and the current data (or another snapshot)."""
    from datasteward.errors import UsageError
    from datasteward.services.backup import find_snapshot, open_repository, snapshot_by_reference
    from datasteward.services.backup.diff import diff_dataset
    from datasteward.services.selection import select_datasets

    if not from_:
        raise UsageError("--from SNAPSHOT|TIME is required")
    project = _project(config)
    select_datasets(project, [dataset])
    repository = open_repository(project, create=False)
    before = snapshot_by_reference(repository, dataset, from_)
    after = find_snapshot(repository, dataset, snapshot_id=to) if to else None
    result = diff_dataset(project, before, after, samples=samples)
    if format == TableFormat.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, default=str) + "\n")
        return
    console = _console()
    console.print(
        f"{dataset}: {result.before} → {result.after} (matched by {'key' if result.mode == 'key' else 'whole rows'})\n"
        f"  added {result.added:,}   removed {result.removed:,}   changed {result.changed:,}   unchanged {result.unchanged:,}"
    )
    for column, count in result.columns_changed.items():
        console.print(f"  {column}: {count:,} rows changed")
    if result.columns_added or result.columns_removed:
        console.print(f"  columns added {result.columns_added}, removed {result.columns_removed}")
    for kind, rows in result.samples.items():
        for row in rows:
            console.print(f"  {kind}: {json.dumps(row, default=str)}", markup=False)
