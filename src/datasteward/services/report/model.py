"""What a report shows: one frozen record per dataset, built by :mod:`.gather`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datasteward.services.backup.manifest import Manifest
    from datasteward.services.report.missing import MissingMatrix
    from datasteward.services.report.profile_view import ProfileView
    from datasteward.services.trend import Trend
    from datasteward.store import CheckHistoryRow, RunRow

__all__ = [
    "STATUSES",
    "BandPoint",
    "CheckEntry",
    "DatasetReport",
    "MetricSeries",
    "Report",
    "SchemaEvent",
    "worst_status",
]

# Worst first: a failed error check outranks one that could not run, which outranks a warning.
STATUSES = ("fail", "error", "warn", "pass")


def worst_status(statuses: list[str]) -> str:
    """The status that summarises several (``unknown`` when there are none)."""
    return next((s for s in STATUSES if s in statuses), "unknown")


@dataclass(frozen=True)
class CheckEntry:
    """A check's latest result and its statuses in earlier runs (oldest first)."""

    latest: CheckHistoryRow
    history: list[tuple[datetime, str]]


@dataclass(frozen=True)
class BandPoint:
    """The band an anomaly check expected at one run."""

    as_of: datetime
    expected: float
    low: float
    high: float


@dataclass(frozen=True)
class MetricSeries:
    name: str
    column: str | None
    points: list[tuple[datetime, float]]  # oldest first
    anomalies: list[datetime]  # logical times flagged as incidents
    bands: list[BandPoint]
    trend: Trend | None
    featured: bool  # drawn large: row counts, checked and anomalous metrics

    @property
    def label(self) -> str:
        return self.name if self.column is None else f"{self.name}({self.column})"

    @property
    def latest(self) -> float | None:
        return self.points[-1][1] if self.points else None

    def is_anomaly(self, moment: datetime) -> bool:
        return moment in self.anomalies


@dataclass(frozen=True)
class SchemaEvent:
    """A schema as first seen, or a change to it (newest events first in a report)."""

    as_of: datetime
    columns: dict[str, str]
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # name, before, after
    first: bool = False
    stable_scans: int = 1  # scans that saw this schema until the next change


@dataclass(frozen=True)
class DatasetReport:
    name: str
    source: str
    key: list[str]
    last_run_at: datetime | None
    row_count: int | None
    checks: list[CheckEntry]
    metrics: list[MetricSeries]
    schema: list[SchemaEvent]
    snapshots: list[Manifest]
    snapshot_problem: str | None
    profile: ProfileView | None
    profile_problem: str | None
    missing: MissingMatrix | None
    runs: list[tuple[datetime, str]]  # the dataset's status per run, oldest first

    @property
    def status(self) -> str:
        return worst_status([c.latest.status.value for c in self.checks])

    @property
    def counts(self) -> dict[str, int]:
        found = [c.latest.status.value for c in self.checks]
        return {status: found.count(status) for status in reversed(STATUSES)}

    @property
    def featured_metrics(self) -> list[MetricSeries]:
        return [m for m in self.metrics if m.featured]

    @property
    def column_metrics(self) -> dict[str, list[MetricSeries]]:
        grouped: dict[str, list[MetricSeries]] = {}
        for series in self.metrics:
            if not series.featured and series.column is not None:
                grouped.setdefault(series.column, []).append(series)
        return grouped

    @property
    def anomaly_count(self) -> int:
        return sum(len(m.anomalies) for m in self.metrics)

    @property
    def columns(self) -> dict[str, str]:
        return self.schema[0].columns if self.schema else {}


@dataclass(frozen=True)
class Report:
    title: str
    generated_at: datetime
    config_file: str | None
    store: str
    repository: str
    datasets: list[DatasetReport]
    latest_run: RunRow | None

    @property
    def status(self) -> str:
        return worst_status([d.status for d in self.datasets])

    @property
    def counts(self) -> dict[str, int]:
        totals = dict.fromkeys(reversed(STATUSES), 0)
        for dataset in self.datasets:
            for status, count in dataset.counts.items():
                totals[status] += count
        return totals
