"""A rich progress display around the scan service."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from datasteward.services.scan import ScanListener, scan, select_datasets

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.model import DatasetResult, Run

__all__ = ["scan_with_progress"]


def scan_with_progress(
    project: Project,
    datasets: Sequence[str] | None,
    *,
    as_of: datetime | None = None,
    quiet: bool = False,
) -> Run:
    """Scan, showing a progress bar on stderr when it is a terminal (never in CI logs)."""
    if quiet or not sys.stderr.isatty():
        return scan(project, datasets, as_of=as_of)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    names = select_datasets(project, datasets)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("scanning", total=len(names))

        def started(name: str) -> None:
            progress.update(task, description=f"scanning [bold]{name}[/]")

        def finished(result: DatasetResult) -> None:
            progress.advance(task)

        return scan(project, names, as_of=as_of, listener=ScanListener(started, finished))
