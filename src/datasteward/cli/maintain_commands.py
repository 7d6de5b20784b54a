"""Maintenance doors: fix, changes, undo (DESIGN.md section 4)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from datasteward.cli.main import DEFAULT_CONFIG, ConfigOption, _console, _project, app

if TYPE_CHECKING:
    from datasteward.services.maintain import FixResult
    from datasteward.store.changes import ChangeRow


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class Keep(StrEnum):
    first = "first"
    last = "last"


FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@app.command()
def fix(
    dataset: Annotated[str, typer.Argument(metavar="DATASET", help="Dataset to change.")],
    config: ConfigOption = DEFAULT_CONFIG,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="COL=SQL_EXPR",
            help="New value computed from the row (repeatable).",
        ),
    ] = None,
    where: Annotated[
        str | None,
        typer.Option("--where", metavar="COND", help="Only rows where this SQL condition holds."),
    ] = None,
    delete_where: Annotated[
        str | None,
        typer.Option(
            "--delete-where", metavar="COND", help="Delete rows where this SQL condition holds."
        ),
    ] = None,
    dedupe: Annotated[
        bool, typer.Option("--dedupe", help="Keep one row per key (the dataset's key or --key).")
    ] = False,
    key: Annotated[
        list[str] | None,
        typer.Option("--key", metavar="COL", help="--dedupe: key column (repeatable)."),
    ] = None,
    keep: Annotated[
        Keep | None, typer.Option("--keep", help="--dedupe: keep the first or last row.")
    ] = None,
    order_by: Annotated[
        str | None,
        typer.Option("--order-by", metavar="COL", help="--dedupe: what first and last go by."),
    ] = None,
    trim: Annotated[
        list[str] | None,
        typer.Option("--trim", metavar="COL", help="Strip surrounding spaces (repeatable)."),
    ] = None,
    lower: Annotated[
        list[str] | None,
        typer.Option("--lower", metavar="COL", help="Lower-case a column (repeatable)."),
    ] = None,
    fill_null: Annotated[
        list[str] | None,
        typer.Option(
            "--fill-null",
            metavar="COL=VALUE",
            help="Replace NULLs by this literal (repeatable).",
        ),
    ] = None,
    quarantine: Annotated[
        str | None,
        typer.Option(
            "--quarantine", metavar="CHECK", help="Move rows failing this row-level check aside."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show counts and samples; change nothing.")
    ] = False,
    samples: Annotated[
        int, typer.Option("--samples", min=0, max=100, help="Sample rows to show.")
    ] = 5,
    yes: YesOption = False,
    format: FormatOption = OutputFormat.text,
) -> None:
    """Repair data in place; every applied change is snapshotted first and can be undone."""
    from datasteward.cli.confirm import confirm_or_abort
    from datasteward.services.maintain import FixRequest, apply_fix, preview_fix

    project = _project(config)
    request = FixRequest(
        set=set_ or (),
        where=where,
        delete_where=delete_where,
        dedupe=dedupe,
        key=key or (),
        keep=keep.value if keep else None,
        order_by=order_by,
        trim=trim or (),
        lower=lower or (),
        fill_null=fill_null or (),
        quarantine=quarantine,
    )
    if dry_run or not yes:
        preview = preview_fix(project, dataset, request, samples=samples)
        if dry_run or preview.rows_affected == 0:
            _show_fix(preview, format)
            return
        if format is OutputFormat.text:
            _show_fix(preview, format)
        confirm_or_abort(
            f"Apply '{preview.action}' to {_rows(preview.rows_affected)} of {dataset!r}?", yes
        )
    _show_fix(apply_fix(project, dataset, request, samples=samples), format, samples=yes)


def _show_fix(result: FixResult, format: OutputFormat, *, samples: bool = True) -> None:
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, default=str) + "\n")
        return
    console = _console()
    head = f"{result.dataset}: {result.action}"
    if result.rows_affected == 0:
        console.print(f"{head}: no row needs changing; nothing was done", markup=False)
        return
    if result.dry_run:
        console.print(
            f"{head}: {_rows(result.rows_affected)} would change (dry run: nothing was changed)",
            markup=False,
        )
    if samples:
        for title, rows in (("before", result.before), ("after", result.after)):
            _print_rows(title, rows)
    if result.change is not None:
        change = result.change
        console.print(
            f"{head}: {_rows(change.rows_affected)} changed (change {change.id}; the data before "
            f"it is snapshot {change.snapshot_id}). Undo with: steward undo {change.id}",
            markup=False,
        )


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    if not rows:
        return
    table = Table(title=title, title_justify="left")
    for name in rows[0]:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*("NULL" if v is None else str(v) for v in row.values()))
    _console().print(table)


@app.command()
def changes(
    dataset: Annotated[
        str | None, typer.Argument(metavar="DATASET", help="Only this dataset.")
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest N changes.")] = 50,
    format: FormatOption = OutputFormat.text,
) -> None:
    """The audit log of data changes, newest first."""
    from datasteward.services.maintain import list_changes

    found = list_changes(_project(config), dataset, limit)
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps([c.to_json() for c in found], indent=2) + "\n")
        return
    _print_changes(found)


def _print_changes(found: list[ChangeRow]) -> None:
    from rich.markup import escape
    from rich.table import Table

    if not found:
        _console().print("no changes recorded yet: 'steward fix DATASET …' makes one")
        return
    table = Table(title="changes", title_justify="left")
    for heading in ("id", "at", "user", "dataset", "action", "rows", "snapshot", "undone"):
        table.add_column(heading, justify="right" if heading in {"id", "rows"} else "left")
    for c in found:
        table.add_row(
            str(c.id),
            c.at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(c.user),
            escape(c.dataset),
            escape(c.action),
            f"{c.rows_affected:,}",
            c.snapshot_id or "",
            "yes" if c.undone else "",
        )
    _console().print(table)


@app.command()
def undo(
    change_id: Annotated[int, typer.Argument(metavar="CHANGE_ID", help="Change to undo.")],
    config: ConfigOption = DEFAULT_CONFIG,
    force: Annotated[
        bool, typer.Option("--force", help="Undo even if the data changed again since.")
    ] = False,
    yes: YesOption = False,
    format: FormatOption = OutputFormat.text,
) -> None:
    """Put a dataset back as it was before a change (recorded as a change of its own)."""
    from datasteward.cli.confirm import confirm_or_abort
    from datasteward.services.maintain import apply_undo, plan_undo

    project = _project(config)
    plan = plan_undo(project, change_id, force=force)
    change = plan.change
    confirm_or_abort(
        f"Undo change {change.id} ({change.action}) of {change.dataset!r}, restoring "
        f"snapshot {plan.snapshot.id}?",
        yes,
    )
    recorded = apply_undo(project, plan)
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(recorded.to_json(), indent=2) + "\n")
        return
    _console().print(
        f"undid change {change.id}: {change.dataset} is back to snapshot {plan.snapshot.id} "
        f"(change {recorded.id}; the replaced data is snapshot {recorded.snapshot_id})",
        markup=False,
    )
