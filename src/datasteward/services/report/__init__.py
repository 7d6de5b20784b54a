"""The report service: one self-contained HTML page about the project's datasets.

``write_report(project, path)`` gathers each dataset's latest check results with failing
samples, its profile (histograms, top values, missing-value matrix, correlations), metric
trends with anomalies, schema changes and snapshots, and writes them as one HTML file
that needs no network to open: styles, charts (SVG built in Python) and the few lines of
script for the tabs are inline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from datasteward.services.report.gather import Profiler, gather_report
from datasteward.services.report.model import DatasetReport, Report
from datasteward.services.report.render import render_report

if TYPE_CHECKING:
    from pathlib import Path

    from datasteward.config.models import Project
    from datasteward.services.sources import SourcePool

__all__ = [
    "DatasetReport",
    "Profiler",
    "Report",
    "build_report",
    "render_report",
    "service_profiler",
    "write_report",
]


def service_profiler(project: Project) -> Profiler:
    """Profiles from the profile service (``steward profile --format json``)."""
    from datasteward.services.profile import profile_dataset

    def profile(dataset: str, pool: SourcePool) -> dict[str, object]:
        return profile_dataset(project, dataset, pool=pool).to_json()

    return profile


def build_report(
    project: Project,
    datasets: Sequence[str] | None = None,
    *,
    profiler: Profiler | None = None,
    now: datetime | None = None,
) -> Report:
    """Gather the report of ``datasets`` (default: all); profiles come from ``profiler``,
    by default the profile service."""
    return gather_report(project, datasets, profiler=profiler or service_profiler(project), now=now)


def write_report(
    project: Project,
    path: Path,
    datasets: Sequence[str] | None = None,
    *,
    profiler: Profiler | None = None,
    now: datetime | None = None,
) -> Report:
    """Build the report and write it to ``path`` atomically as one HTML file."""
    from datasteward.services.files import write_text_atomically

    report = build_report(project, datasets, profiler=profiler, now=now)
    write_text_atomically(path, render_report(report))
    return report
