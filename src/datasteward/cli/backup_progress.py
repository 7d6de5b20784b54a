"""A rich progress display (rows and bytes) around the backup service."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from datasteward.services.backup import BackupProgress, backup_dataset

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.services.backup import Manifest

__all__ = ["backup_with_progress"]


def backup_with_progress(
    project: Project, dataset: str, tags: Sequence[str], full: bool, *, quiet: bool = False
) -> Manifest:
    if quiet or not sys.stderr.isatty():
        return backup_dataset(project, dataset, tags=tags, force_full=full)
    from rich.console import Console
    from rich.progress import (
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TransferSpeedColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("backing up [bold]{task.fields[dataset]}[/] {task.fields[rows]:,} rows"),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("backup", total=None, dataset=dataset, rows=0)
        counted = {"rows": 0}

        def on_rows(rows: int, size: int) -> None:
            counted["rows"] += rows
            progress.update(task, advance=size, rows=counted["rows"])

        return backup_dataset(
            project, dataset, tags=tags, force_full=full, progress=BackupProgress(on_rows)
        )
