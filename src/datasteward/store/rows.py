"""What the store's read side returns: one frozen row per run, check result or metric."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from datasteward.model import CheckStatus, Severity

__all__ = ["CheckHistoryRow", "MetricHistoryRow", "RunRow"]


@dataclass(frozen=True)
class RunRow:
    """A recorded run without its results: times and the status counts."""

    run_id: str
    as_of: datetime
    started_at: datetime
    finished_at: datetime
    summary: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": _iso(self.as_of),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "summary": self.summary,
        }


@dataclass(frozen=True)
class CheckHistoryRow:
    """One check result as recorded by one run."""

    as_of: datetime
    run_id: str
    dataset: str
    name: str
    type: str
    column: str | None
    status: CheckStatus
    severity: Severity
    observed: Any
    failed_rows: int | None
    message: str
    samples: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": _iso(self.as_of),
            "run_id": self.run_id,
            "dataset": self.dataset,
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
class MetricHistoryRow:
    """One metric value as measured by one run."""

    as_of: datetime
    run_id: str
    dataset: str
    name: str
    column: str | None
    value: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": _iso(self.as_of),
            "run_id": self.run_id,
            "dataset": self.dataset,
            "name": self.name,
            "column": self.column,
            "value": self.value,
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
