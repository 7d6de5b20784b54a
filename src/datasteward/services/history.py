"""The history service: a dataset's check results and metric values over time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from datasteward.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.services.trend import SeriesTrend
    from datasteward.store import CheckHistoryRow, MetricHistoryRow

__all__ = ["DatasetHistory", "accept_incidents", "dataset_history"]


@dataclass(frozen=True)
class DatasetHistory:
    dataset: str
    checks: list[CheckHistoryRow]
    metrics: list[MetricHistoryRow]
    # With ``metric``: the fitted trend of each of its series (one per column).
    trends: list[SeriesTrend] = field(default_factory=list)


def dataset_history(
    project: Project,
    dataset: str,
    *,
    metric: str | None = None,
    check: str | None = None,
    limit: int = 50,
) -> DatasetHistory:
    """Newest first; ``metric`` shows only that metric (with its trend), ``check`` only
    that check."""
    from datasteward.store import Store

    if dataset not in project.datasets:
        raise UsageError(
            f"unknown dataset {dataset!r}", hint=did_you_mean(dataset, project.datasets)
        )
    with Store.open(project.store_url()) as store:
        checks = [] if metric else store.check_history(dataset, check, limit=limit)
        metrics = [] if check else store.metric_history(dataset, metric, limit=limit)
        incidents = store.monitoring.incidents(dataset) if metric else []
    trends = _trends(metrics, incidents) if metric else []
    return DatasetHistory(dataset, checks, metrics, trends)


def _trends(
    metrics: list[MetricHistoryRow], incidents: list[dict[str, object]]
) -> list[SeriesTrend]:
    from datasteward.services.trend import series_trends

    flagged: list[tuple[str, str | None, datetime]] = []
    for incident in incidents:
        as_of, column = incident["as_of"], incident["column"]
        if isinstance(as_of, datetime):
            flagged.append((str(incident["name"]), None if column is None else str(column), as_of))
    return series_trends(((m.as_of, m.name, m.column, m.value) for m in metrics), flagged)


def accept_incidents(
    project: Project, dataset: str, run_or_date: str, *, metric: str | None = None
) -> int:
    """Mark anomaly incidents of a run (or day) as expected; later baselines use them."""
    from datasteward.store import Store

    if dataset not in project.datasets:
        raise UsageError(
            f"unknown dataset {dataset!r}", hint=did_you_mean(dataset, project.datasets)
        )
    with Store.open(project.store_url()) as store:
        accepted = store.monitoring.accept(dataset, run_or_date, metric)
    if not accepted:
        raise UsageError(
            f"no flagged anomaly of {dataset!r} matches {run_or_date!r}",
            hint="give a run id or a date (YYYY-MM-DD) of a failed anomaly check",
        )
    return accepted
