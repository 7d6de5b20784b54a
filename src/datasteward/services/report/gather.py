"""Reading everything a report shows: the store, the backup repository and the data.

History comes from the store (check results, metric values, incidents, schemas) and
snapshots from the repository's manifests; only the profile and the missing-value
matrix query the data itself, each as aggregates computed by the engine. A part that
cannot be read (no repository yet, a source that is down) becomes a note in the report
instead of stopping it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from datasteward.engines.base import QueryError
from datasteward.errors import StewardError
from datasteward.services.report.missing import MissingMatrix, missing_matrix
from datasteward.services.report.model import (
    BandPoint,
    CheckEntry,
    DatasetReport,
    MetricSeries,
    Report,
    SchemaEvent,
    worst_status,
)
from datasteward.services.report.profile_view import ProfileView, read_profile
from datasteward.services.trend import fit_trend, metric_series

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.repository import Repository
    from datasteward.services.backup.manifest import Manifest
    from datasteward.services.sources import SourcePool
    from datasteward.store import CheckHistoryRow, Store
    from datasteward.store.monitoring import SchemaSnapshot

__all__ = ["Profiler", "gather_report"]

#: Computes ``profile --format json`` of a dataset (the profile service, or a saved file).
Profiler = Callable[[str, "SourcePool"], Mapping[str, Any]]

HISTORY_RUNS = 30  # runs shown in status strips
METRIC_POINTS = 90  # newest points per metric series
_CHECK_ROWS = 5_000
_METRIC_ROWS = 50_000
# Metrics a check of this type watches, drawn large on the trends tab.
_WATCHED = {"missing_percent": "missing_percent", "freshness": "freshness_lag_hours"}


def gather_report(
    project: Project,
    datasets: Sequence[str] | None = None,
    *,
    profiler: Profiler | None = None,
    now: datetime | None = None,
) -> Report:
    """Collect the report of ``datasets`` (default: all); ``profiler`` None skips profiles."""
    from datasteward.services.selection import select_datasets
    from datasteward.services.sources import SourcePool
    from datasteward.store import Store

    names = select_datasets(project, datasets)
    repository, repository_problem = _repository(project)
    with Store.open(project.store_url()) as store, SourcePool(project) as pool:
        reports = [
            _dataset(project, name, store, pool, repository, repository_problem, profiler)
            for name in names
        ]
        latest_run = store.latest_run()
        store_url = store.url
    return Report(
        title=project.base_dir.resolve().name or "steward",
        generated_at=now or datetime.now(UTC),
        config_file=project.config_file,
        store=store_url,
        repository=project.repository_location(),
        datasets=reports,
        latest_run=latest_run,
    )


def _repository(project: Project) -> tuple[Repository | None, str | None]:
    from pathlib import Path

    from datasteward.services.backup import open_repository

    location = project.repository_location()
    if "://" not in location and not Path(location).exists():
        return None, None  # nothing backed up yet: each dataset says so
    try:
        return open_repository(project, create=False), None
    except StewardError as error:
        return None, str(error)


def _dataset(
    project: Project,
    name: str,
    store: Store,
    pool: SourcePool,
    repository: Repository | None,
    repository_problem: str | None,
    profiler: Profiler | None,
) -> DatasetReport:
    config = project.datasets[name]
    history = store.check_history(name, limit=_CHECK_ROWS)
    latest = [row for row in history if history and row.run_id == history[0].run_id]
    metrics = _metrics(name, store, history, latest)
    row_counts = [m for m in metrics if (m.name, m.column) == ("row_count", None)]
    profile, missing, problem = _look_at_data(name, pool, profiler)
    snapshots, snapshot_problem = _snapshots(repository, repository_problem, name)
    return DatasetReport(
        name=name,
        source=config.source,
        key=list(config.key),
        last_run_at=latest[0].as_of if latest else None,
        row_count=_row_count(row_counts, profile),
        checks=_check_entries(history, latest),
        metrics=metrics,
        schema=schema_events(store.monitoring.schema_timeline(name)),
        snapshots=snapshots,
        snapshot_problem=snapshot_problem,
        profile=profile,
        profile_problem=problem,
        missing=missing,
        runs=_run_statuses(history),
    )


def _row_count(row_counts: list[MetricSeries], profile: ProfileView | None) -> int | None:
    if row_counts and row_counts[0].latest is not None:
        return int(row_counts[0].latest)
    return None if profile is None else profile.row_count


def _check_entries(
    history: list[CheckHistoryRow], latest: list[CheckHistoryRow]
) -> list[CheckEntry]:
    by_check: dict[tuple[str, str | None], list[tuple[datetime, str]]] = {}
    for row in reversed(history):
        by_check.setdefault((row.name, row.column), []).append((row.as_of, row.status.value))
    order = {"fail": 0, "error": 1, "warn": 2, "pass": 3}
    entries = [
        CheckEntry(row, _newest_per_time(by_check[(row.name, row.column)])[-HISTORY_RUNS:])
        for row in latest
    ]
    # Failures first; within a status the order of steward.yml (the store gives it reversed).
    ranked = sorted(enumerate(reversed(entries)), key=lambda e: (order[e[1].latest.status], e[0]))
    return [entry for _, entry in ranked]


def _newest_per_time(points: list[tuple[datetime, str]]) -> list[tuple[datetime, str]]:
    # A replayed run records the same logical time again: its latest recording wins.
    return sorted(dict(points).items())


def _run_statuses(history: list[CheckHistoryRow]) -> list[tuple[datetime, str]]:
    runs: dict[str, tuple[datetime, list[str]]] = {}
    for row in history:
        runs.setdefault(row.run_id, (row.as_of, []))[1].append(row.status.value)
    statuses = {as_of: worst_status(found) for as_of, found in reversed(runs.values())}
    return sorted(statuses.items())[-HISTORY_RUNS:]


def _metrics(
    name: str, store: Store, history: list[CheckHistoryRow], latest: list[CheckHistoryRow]
) -> list[MetricSeries]:
    rows = store.metric_history(name, limit=_METRIC_ROWS)
    series = metric_series((r.as_of, r.name, r.column, r.value) for r in rows)
    flagged: dict[tuple[str, str | None], set[datetime]] = {}
    for incident in store.monitoring.incidents(name):
        key = (str(incident["name"]), _optional(incident["column"]))
        as_of = incident["as_of"]
        if isinstance(as_of, datetime):
            flagged.setdefault(key, set()).add(as_of)
    bands = _bands(history)
    watched = _watched(latest)
    found = []
    for key, points in series.items():
        points = points[-METRIC_POINTS:]
        shown = {t for t, _ in points}
        found.append(
            MetricSeries(
                name=key[0],
                column=key[1],
                points=points,
                anomalies=sorted(flagged.get(key, set()) & shown),
                bands=[b for b in bands.get(key, []) if b.as_of in shown],
                trend=fit_trend(points),
                featured=key == ("row_count", None) or key in watched or key in flagged,
            )
        )
    return sorted(found, key=lambda m: (not m.featured, m.column or "", m.name))


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def _watched(latest: list[CheckHistoryRow]) -> set[tuple[str, str | None]]:
    """The metric series the dataset's checks are about."""
    watched: set[tuple[str, str | None]] = set()
    for row in latest:
        if row.type == "anomaly" and isinstance(row.observed, dict):
            watched.add((str(row.observed.get("metric")), row.column))
        elif row.type in _WATCHED and row.column is not None:
            watched.add((_WATCHED[row.type], row.column))
        elif row.type == "metric" and row.column is not None:
            stat = row.name.split("(", 1)[0]
            watched.add((stat, row.column))
    return watched


def _bands(history: list[CheckHistoryRow]) -> dict[tuple[str, str | None], list[BandPoint]]:
    bands: dict[tuple[str, str | None], dict[datetime, BandPoint]] = {}
    for row in history:
        observed = row.observed
        if row.type != "anomaly" or not isinstance(observed, dict):
            continue
        try:
            band = BandPoint(
                row.as_of,
                float(observed["expected"]),
                float(observed["low"]),
                float(observed["high"]),
            )
        except (KeyError, TypeError, ValueError):
            continue  # not enough history yet: the check reported no band
        key = (str(observed.get("metric")), row.column)
        bands.setdefault(key, {}).setdefault(row.as_of, band)
    return {key: sorted(found.values(), key=lambda b: b.as_of) for key, found in bands.items()}


def schema_events(timeline: list[SchemaSnapshot]) -> list[SchemaEvent]:
    """The first schema and every change after it, newest first, from the store's timeline."""
    events: list[SchemaEvent] = []
    for snapshot in sorted(timeline, key=lambda s: s.as_of):
        if events and list(snapshot.columns.items()) == list(events[-1].columns.items()):
            events[-1] = replace(events[-1], stable_scans=events[-1].stable_scans + 1)
            continue
        events.append(_change(events[-1].columns if events else None, snapshot))
    return events[::-1]


def _change(before: dict[str, str] | None, snapshot: SchemaSnapshot) -> SchemaEvent:
    after = snapshot.columns
    if before is None:
        return SchemaEvent(snapshot.as_of, after, first=True)
    return SchemaEvent(
        snapshot.as_of,
        after,
        added=[(n, t) for n, t in after.items() if n not in before],
        removed=[(n, t) for n, t in before.items() if n not in after],
        changed=[(n, before[n], t) for n, t in after.items() if n in before and before[n] != t],
    )


def _snapshots(
    repository: Repository | None, problem: str | None, name: str
) -> tuple[list[Manifest], str | None]:
    from datasteward.services.backup import snapshots

    if repository is None:
        return [], problem
    try:
        return snapshots(repository, name), None
    except StewardError as error:
        return [], str(error)


def _look_at_data(
    name: str, pool: SourcePool, profiler: Profiler | None
) -> tuple[ProfileView | None, MissingMatrix | None, str | None]:
    """The profile and the missing-value matrix, or why the data could not be read."""
    try:
        profile = None if profiler is None else read_profile(profiler(name, pool))
        missing = missing_matrix(pool.dataset(name))
    except StewardError as error:
        return None, None, str(error)
    except QueryError as error:
        return None, None, f"the data of {name!r} could not be profiled: {error}"
    return profile, missing, None
