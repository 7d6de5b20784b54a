"""The scan service: run every check of the chosen datasets and record the run.

Per dataset: all aggregate metrics of all checks go into ONE query (one scan); failing
samples are fetched afterwards, only for failed checks, with a LIMIT. When the combined
query fails for a reason no check could be blamed for in advance, each check's metrics
run on their own so that only the broken check reports ``error``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from datasteward.checks.base import Check, Outcome
from datasteward.checks.catalogue import build_checks
from datasteward.compile.context import ScanContext
from datasteward.compile.query import ROW_COUNT, MetricPlan
from datasteward.engines.base import QueryError
from datasteward.errors import CheckDefinitionError, SourceError, did_you_mean
from datasteward.model import CheckResult, CheckStatus, DatasetResult, MetricValue, Run, Severity
from datasteward.services.json_values import jsonable
from datasteward.services.scan_store import (
    LazyStore,
    quick_recorder,
    record_run,
    warm_up_store_imports,
)
from datasteward.services.selection import select_datasets
from datasteward.services.sources import SourcePool

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.services.monitor.drift_reference import ReferenceLoader
    from datasteward.store.monitoring import MonitorLog

__all__ = ["ScanListener", "scan", "scan_dataset", "select_datasets"]

_DATASET_ROWS = -1  # plan owner of the dataset's own row count
_MONITOR = -2  # plan owner of the first column's monitor: auto metrics (then -3, -4, …)


@dataclass
class ScanListener:
    """Callbacks a door can use to show progress (all optional)."""

    dataset_started: Callable[[str], None] | None = None
    dataset_finished: Callable[[DatasetResult], None] | None = None


def scan(
    project: Project,
    datasets: Sequence[str] | None = None,
    *,
    as_of: datetime | None = None,
    record: bool = True,
    listener: ScanListener | None = None,
    pool: SourcePool | None = None,
    run_id: str | None = None,
) -> Run:
    """Scan datasets, store the run (unless ``record`` is false) and return it.

    ``run_id`` makes a retried job idempotent: recording the same id twice stores once.
    """
    names = select_datasets(project, datasets)
    # Every check is validated before anything runs: a typo is exit 2, not a half scan.
    checks = {name: _checks_of(project, name) for name in names}
    quick = quick_recorder(project, checks) if record else None
    if record and quick is None:
        warm_up_store_imports()
    started = datetime.now(UTC)
    logical_time = (as_of or started).astimezone(UTC)
    listener = listener or ScanListener()
    own_pool = pool is None
    sources = pool or SourcePool(project)
    store = LazyStore(project) if record else None
    references = _reference_loader(project, checks)
    results = []
    try:
        for name in names:
            if listener.dataset_started:
                listener.dataset_started(name)
            history = store.monitoring if store is not None else None
            result = scan_dataset(
                name, checks[name], sources, logical_time, history=history, references=references
            )
            results.append(result)
            if listener.dataset_finished:
                listener.dataset_finished(result)
        run = Run(run_id or uuid.uuid4().hex, logical_time, started, datetime.now(UTC), results)
        if quick is not None:
            quick.record(run)
        elif store is not None:
            record_run(project, run, store.get())
    finally:
        if own_pool:
            sources.close()
        if store is not None:
            store.close()
        if quick is not None:
            quick.close()
        if references is not None:
            references.close()
    return run


def _reference_loader(project: Project, checks: dict[str, list[Check]]) -> ReferenceLoader | None:
    """Drift checks read their reference from snapshots; only then is a loader needed."""
    if not any(check.type == "drift" for found in checks.values() for check in found):
        return None
    from datasteward.services.monitor.drift_reference import ReferenceLoader

    return ReferenceLoader(project)


def _checks_of(project: Project, dataset: str) -> list[Check]:
    return [check for spec in project.datasets[dataset].checks for check in build_checks(spec)]


def scan_dataset(
    name: str,
    checks: list[Check],
    sources: SourcePool,
    as_of: datetime,
    *,
    history: Callable[[], MonitorLog] | None = None,
    references: ReferenceLoader | None = None,
) -> DatasetResult:
    """Run the checks of one dataset; raises SourceError when the data cannot be read.

    ``history`` opens the metric history for checks that need it (anomaly,
    schema_change); without it they report status ``error``.
    """
    clock = time.perf_counter()
    ref = sources.dataset(name)
    ctx = ScanContext(
        name,
        ref.source,
        ref.engine,
        ref.relation,
        ref.columns,
        as_of,
        sources.dataset,
        reference=references,
    )
    plan = MetricPlan(ctx.dialect)
    plan.add(_DATASET_ROWS, ROW_COUNT, exp.Count(this=exp.Star()))
    outcomes: dict[int, Outcome | CheckResult] = {}
    aggregated: list[int] = []
    alone: list[int] = []
    historical: list[int] = []
    for index, check in enumerate(checks):
        try:
            _require_columns(check, ctx)
            if check.definition.needs_history:
                historical.append(index)
                continue
            if check.definition.is_alone(check, ctx):
                alone.append(index)
                continue
            for local, expression in check.definition.metrics(check, ctx).items():
                plan.add(index, local, expression)
            aggregated.append(index)
        except (CheckDefinitionError, QueryError, SourceError) as error:
            outcomes[index] = _error(check, str(error))
    monitor = None
    # Each column's monitor metrics are a plan owner of their own: when the one query
    # fails, a column whose values the engine cannot return (a PostgreSQL timestamp of
    # 'infinity', say) costs its own metrics only.
    monitor_owners: dict[str, int] = {}
    if sources.project.datasets[name].monitor == "auto":
        from datasteward.services.monitor.column_metrics import ColumnMetrics

        monitor = ColumnMetrics.for_dataset(ctx)
        for local, expression in monitor.expressions(ctx).items():
            column = local.split("\0", 1)[1]
            owner = monitor_owners.setdefault(column, _MONITOR - len(monitor_owners))
            plan.add(owner, local, expression)
    row, failures = _run_plan(ctx, plan, [*aggregated, *monitor_owners.values()])
    values: dict[int, dict[str, Any]] = {}
    for index in aggregated:
        check = checks[index]
        if index in failures:
            outcomes[index] = _error(check, failures[index])
            continue
        values[index] = plan.values_for(index, row)
        try:
            outcomes[index] = check.definition.evaluate(check, values[index], ctx)
        except (CheckDefinitionError, QueryError) as error:
            outcomes[index] = _error(check, str(error))
    for index in alone:
        check = checks[index]
        try:
            outcomes[index] = check.definition.run_alone(check, ctx)
        except (CheckDefinitionError, QueryError, SourceError) as error:
            outcomes[index] = _error(check, str(error))
    row_count = row.get(plan.wiring[_DATASET_ROWS][ROW_COUNT])
    metrics = _metric_values(checks, plan, row, aggregated, failures)
    if monitor is not None:
        measured = [c for c in monitor.columns if monitor_owners.get(c[0]) not in failures]
        monitor_values: dict[str, Any] = {}
        for column, _ in measured:
            monitor_values.update(plan.values_for(monitor_owners[column], row))
        rows = None if row_count is None else int(row_count)
        metrics += replace(monitor, columns=measured).values(monitor_values, rows, ctx)
    if row_count is not None:
        metrics.insert(0, MetricValue(ROW_COUNT, float(row_count)))
    metrics = _unique_metrics(metrics)
    current = {(m.name, m.column): m.value for m in metrics}
    for index in historical:
        check = checks[index]
        try:
            log = history() if history is not None else None
            outcomes[index] = check.definition.evaluate_history(check, current, log, ctx)
        except (CheckDefinitionError, QueryError, SourceError) as error:
            outcomes[index] = _error(check, str(error))
    samples = _failing_samples(checks, outcomes, values, ctx)
    results = [_result(check, outcomes[i], samples.get(i)) for i, check in enumerate(checks)]
    seconds = time.perf_counter() - clock
    columns = {c.name: c.type for c in ctx.columns}
    count = None if row_count is None else int(row_count)
    return DatasetResult(name, count, seconds, results, metrics, columns)


def _unique_metrics(metrics: list[MetricValue]) -> list[MetricValue]:
    """One value per (metric, column): the first one measured wins."""
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for metric in metrics:
        if (metric.name, metric.column) not in seen:
            seen.add((metric.name, metric.column))
            unique.append(metric)
    return unique


def _require_columns(check: Check, ctx: ScanContext) -> None:
    names = ctx.column_names
    for column in check.definition.columns_used(check, ctx):
        if column not in names:
            raise CheckDefinitionError(
                f"column {column!r} not found in dataset {ctx.dataset!r}",
                hint=did_you_mean(column, names) or f"columns: {', '.join(names[:12])}",
            )


def _run_plan(
    ctx: ScanContext, plan: MetricPlan, owners: list[int]
) -> tuple[dict[str, Any], dict[int, str]]:
    """Run the one query; on failure, run each check's metrics alone to find the culprit."""
    try:
        result = ctx.engine.fetch(plan.select(ctx.relation))
        return dict(zip(result.columns, result.rows[0], strict=True)), {}
    except QueryError:
        pass
    row: dict[str, Any] = {}
    failures: dict[int, str] = {}
    for owner in [_DATASET_ROWS, *owners]:
        aliases = [a for a in plan.aliases_of(owner) if a not in row]
        if not aliases:
            continue
        try:
            result = ctx.engine.fetch(plan.select(ctx.relation, aliases))
        except QueryError as error:
            failures[owner] = f"query failed: {error}"
            continue
        row.update(zip(result.columns, result.rows[0], strict=True))
    if _DATASET_ROWS in failures:
        raise SourceError(f"dataset {ctx.dataset!r}: {failures[_DATASET_ROWS]}")
    return row, failures


def _result(
    check: Check, outcome: Outcome | CheckResult, samples: list[dict[str, Any]] | None = None
) -> CheckResult:
    if isinstance(outcome, CheckResult):
        return outcome
    if outcome.passed:
        status = CheckStatus.PASS
    else:
        status = CheckStatus.WARN if check.severity is Severity.WARN else CheckStatus.FAIL
    if outcome.samples is not None:
        samples = outcome.samples
    return CheckResult(
        name=check.name,
        type=check.type,
        status=status,
        severity=check.severity,
        message=outcome.message,
        column=check.column,
        observed=jsonable(outcome.observed),
        failed_rows=outcome.failed_rows,
        samples=[jsonable(s) for s in samples or []],
    )


def _failing_samples(
    checks: list[Check],
    outcomes: dict[int, Outcome | CheckResult],
    values: dict[int, dict[str, Any]],
    ctx: ScanContext,
) -> dict[int, list[dict[str, Any]]]:
    """The failing rows of every failed check that wants samples, fetched together.

    The engine may run the queries side by side. Samples are a courtesy: a query that
    fails costs its check its samples, never its verdict.
    """
    wanted = [
        index
        for index, check in enumerate(checks)
        if isinstance(outcome := outcomes[index], Outcome)
        and not outcome.passed
        and outcome.samples is None
        and check.params.samples > 0
    ]
    samples: dict[int, list[dict[str, Any]]] = {}
    retry = _fetch_samples(checks, wanted, values, ctx, samples)
    # The main query's values steered these samples queries and they failed (a key type
    # the engine cannot compare with text, say): ask again without them.
    _fetch_samples(checks, retry, {}, ctx, samples)
    return samples


def _fetch_samples(
    checks: list[Check],
    wanted: list[int],
    values: dict[int, dict[str, Any]],
    ctx: ScanContext,
    samples: dict[int, list[dict[str, Any]]],
) -> list[int]:
    """Fill ``samples`` for the ``wanted`` checks; returns those worth asking again without
    the main query's values."""
    queries: dict[int, exp.Expr] = {}
    retry: list[int] = []
    for index in wanted:
        check = checks[index]
        try:
            query = check.definition.failing_rows(
                check, ctx, check.params.samples, values.get(index)
            )
        except (QueryError, CheckDefinitionError):
            query = None
            if index in values:
                retry.append(index)
        if query is not None:
            queries[index] = query
    if not queries:  # failed checks without a samples query (row_count, freshness…)
        return sorted(retry)
    answers = ctx.engine.fetch_samples(list(queries.values()))
    for index, answer in zip(queries, answers, strict=True):
        if isinstance(answer, QueryError):
            if index in values:
                retry.append(index)
        else:
            samples[index] = answer.as_dicts()
    return sorted(retry)


def _error(check: Check, message: str) -> CheckResult:
    return CheckResult(
        name=check.name,
        type=check.type,
        status=CheckStatus.ERROR,
        severity=check.severity,
        message=message,
        column=check.column,
    )


def _metric_values(
    checks: list[Check],
    plan: MetricPlan,
    row: dict[str, Any],
    owners: list[int],
    failures: dict[int, str],
) -> list[MetricValue]:
    values: dict[tuple[str, str | None], float | None] = {}
    for index in owners:
        if index in failures:
            continue
        check = checks[index]
        for metric, value in check.definition.metric_values(
            check, plan.values_for(index, row)
        ).items():
            values[(metric, check.column)] = value
    return [MetricValue(name, value, column) for (name, column), value in values.items()]
