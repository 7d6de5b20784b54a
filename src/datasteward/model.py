"""Domain objects shared by services, doors and the store: runs and their results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["CheckResult", "CheckStatus", "DatasetResult", "MetricValue", "Run", "Severity"]


class Severity(StrEnum):
    ERROR = "error"
    WARN = "warn"


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"  # a warn-severity check that failed
    ERROR = "error"  # the check could not run


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one dataset (one column, for per-column checks)."""

    name: str
    type: str
    status: CheckStatus
    severity: Severity
    message: str
    column: str | None = None
    observed: Any = None
    failed_rows: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "column": self.column,
            "status": self.status.value,
            "severity": self.severity.value,
            "observed": self.observed,
            "failed_rows": self.failed_rows,
            "message": self.message,
            "samples": self.samples,
        }


@dataclass(frozen=True)
class MetricValue:
    """A number measured on a dataset during a run, kept as history."""

    name: str  # e.g. "row_count", "mean", "missing_percent"
    value: float | None
    column: str | None = None


@dataclass(frozen=True)
class DatasetResult:
    dataset: str
    row_count: int | None
    seconds: float
    checks: list[CheckResult]
    metrics: list[MetricValue] = field(default_factory=list)
    # Column name → engine type, as scanned (kept for schema-change history).
    columns: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "row_count": self.row_count,
            "seconds": round(self.seconds, 3),
            "checks": [c.to_json() for c in self.checks],
        }


@dataclass(frozen=True)
class Run:
    """One scan: its logical time, wall-clock bounds and per-dataset results."""

    run_id: str
    as_of: datetime
    started_at: datetime
    finished_at: datetime
    datasets: list[DatasetResult]

    @property
    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in CheckStatus}
        for dataset in self.datasets:
            for check in dataset.checks:
                counts[check.status.value] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": _iso(self.as_of),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "summary": self.summary,
            "datasets": [d.to_json() for d in self.datasets],
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
