"""Which datasets a command works on: the named ones (validated) or all of them.

Its own small module: commands that never run a check (backup, restore, profile…) need
it without importing the scan service and the check catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from datasteward.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    from datasteward.config.models import Project

__all__ = ["select_datasets"]


def select_datasets(project: Project, names: Sequence[str] | None) -> list[str]:
    """The datasets to work on: the named ones (validated) or all, in configuration order."""
    if not names:
        return list(project.datasets)
    for name in names:
        if name not in project.datasets:
            raise UsageError(
                f"unknown dataset {name!r}",
                hint=did_you_mean(name, project.datasets)
                or f"known: {', '.join(project.datasets) or 'none'}",
            )
    return list(dict.fromkeys(names))
