"""``monitor: auto``: metrics every scan records for every column, in the same query.

Per column: missing count and percent, distinct count (approximate where the engine has
a sketch), and by type min, max, mean, stddev, and for timestamps the freshness lag
(hours between the newest value and the run's logical time).

Engines without a sketch whose exact COUNT(DISTINCT) is costly (PostgreSQL sorts every
column: the scan took 3.7 s instead of 1.5 s on 1M rows) estimate distinct counts after
the scan instead, from a repeatable sample of about 30,000 rows, with the estimator
PostgreSQL's own ANALYZE uses (Haas and Stokes' Duj1): exact while the sample holds every
row, close for keys and few-valued columns, low for skewed columns with many rare values.
Columns with 30,000 values or fewer among more rows are counted exactly (a sample may miss
their values altogether).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from datasteward.checks.schema import type_family
from datasteward.model import MetricValue

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext

__all__ = ["ColumnMetrics"]

_NUMERIC = {"integer", "double", "decimal"}
_TEMPORAL = {"date", "timestamp"}
_SKIPPED = {"binary"}
#: Rows sampled for estimated distinct counts (PostgreSQL's ANALYZE default).
SAMPLE_ROWS = 30_000


@dataclass(frozen=True)
class ColumnMetrics:
    """The aggregate expressions to add to a dataset's query, and how to read them back."""

    columns: list[tuple[str, str]]  # (name, family)

    @classmethod
    def for_dataset(cls, ctx: ScanContext) -> ColumnMetrics:
        chosen = []
        for column in ctx.columns:
            family = type_family(column.type)
            if family not in _SKIPPED and not family.startswith(("struct", "map", "list", "union")):
                chosen.append((column.name, family))
        return cls(chosen)

    def expressions(self, ctx: ScanContext) -> dict[str, exp.Expr]:
        found: dict[str, exp.Expr] = {}
        for name, family in self.columns:
            value: exp.Expr = ctx.column(name)
            if family == "boolean":
                value = exp.cast(value, exp.DataType.build("int"))
            found[f"values\0{name}"] = exp.Count(this=value.copy())
            if not ctx.engine.distinct_from_sample:
                found[f"distinct\0{name}"] = ctx.engine.approx_distinct(value.copy())
            if family in _NUMERIC or family == "boolean":
                as_double = exp.cast(value.copy(), exp.DataType.build("double"))
                found[f"min\0{name}"] = exp.Min(this=value.copy())
                found[f"max\0{name}"] = exp.Max(this=value.copy())
                found[f"mean\0{name}"] = exp.Avg(this=as_double)
                found[f"stddev\0{name}"] = ctx.engine.stddev(as_double.copy())
            elif family in _TEMPORAL:
                found[f"newest\0{name}"] = exp.Max(this=value.copy())
        return found

    def values(
        self, row: Mapping[str, Any], rows: int | None, ctx: ScanContext
    ) -> list[MetricValue]:
        from datasteward.checks.freshness import as_utc

        metrics: list[MetricValue] = []
        estimated = self._estimated_distinct(row, rows, ctx)
        for name, _family in self.columns:
            present = _number(row.get(f"values\0{name}"))
            if rows is not None and present is not None:
                missing = rows - present
                metrics.append(MetricValue("missing_count", missing, name))
                metrics.append(
                    MetricValue("missing_percent", 100.0 * missing / rows if rows else 0.0, name)
                )
            distinct = (
                estimated.get(name) if estimated is not None else row.get(f"distinct\0{name}")
            )
            metrics.append(MetricValue("distinct_count", _number(distinct), name))
            for stat in ("min", "max", "mean", "stddev"):
                key = f"{stat}\0{name}"
                if key in row:
                    metrics.append(MetricValue(stat, _number(row[key]), name))
            newest = row.get(f"newest\0{name}")
            if newest is not None:
                try:
                    lag = (ctx.as_of - as_utc(newest)).total_seconds() / 3600
                except (TypeError, ValueError):
                    continue
                metrics.append(MetricValue("freshness_lag_hours", lag, name))
        return metrics

    def _estimated_distinct(
        self, row: Mapping[str, Any], rows: int | None, ctx: ScanContext
    ) -> dict[str, float | None] | None:
        """Distinct counts estimated from a sample (None: the scan counted them)."""
        if not ctx.engine.distinct_from_sample:
            return None
        from datasteward.engines.base import QueryError

        if not self.columns or not rows:
            return {name: 0.0 if rows == 0 else None for name, _ in self.columns}
        present = {name: _number(row.get(f"values\0{name}")) for name, _ in self.columns}
        # A column with few values among many rows is counted exactly: sorting its values
        # costs little, and a sample of the rows may hold none of them.
        few = {
            name
            for name, count in present.items()
            if count is not None and 0 < count <= SAMPLE_ROWS < rows
        }
        sampled = [(name, family) for name, family in self.columns if name not in few]
        estimates = self._exact_distinct(ctx, sorted(few)) if few else {}
        if not sampled:
            return estimates
        percent = min(100.0, 100.0 * SAMPLE_ROWS / rows)
        try:
            found = ctx.engine.fetch(self._sample_query(ctx, sampled, percent))
        except QueryError:  # a relation that cannot be sampled (a view)
            return estimates | self._exact_distinct(ctx, [name for name, _ in sampled])
        counts = dict(zip(found.columns, found.rows[0], strict=True))
        for i, (name, _family) in enumerate(sampled):
            sample, distinct, once = (int(counts[f"{part}{i}"] or 0) for part in ("n", "d", "f"))
            estimates[name] = duj1(sample, distinct, once, present[name])
        return estimates

    def _exact_distinct(self, ctx: ScanContext, names: list[str]) -> dict[str, float | None]:
        from datasteward.engines.base import QueryError

        terms = [
            exp.alias_(exp.Count(this=exp.Distinct(expressions=[ctx.column(name)])), f"d{i}")
            for i, name in enumerate(names)
        ]
        try:
            found = ctx.engine.fetch(exp.select(*terms).from_(ctx.relation.copy()))
        except QueryError:
            return {name: None for name in names}
        return {name: _number(value) for name, value in zip(names, found.rows[0], strict=True)}

    def _sample_query(
        self, ctx: ScanContext, columns: list[tuple[str, str]], percent: float
    ) -> exp.Select:
        """Per column: values in the sample, distinct values, values seen exactly once."""
        names = [name for name, _ in columns]
        sample = exp.select(*(ctx.column(n) for n in names)).from_(
            ctx.engine.sampled_rows(ctx.relation, percent)
        )
        terms: list[exp.Expr] = []
        for i, name in enumerate(names):
            column = ctx.column(name)
            groups = (
                exp.select(column.copy())
                .from_("sampled")
                .where(exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null())))
                .group_by(column.copy())
            )
            once = groups.copy().having(
                exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))
            )
            counted = exp.select(exp.Count(this=exp.Star()))
            terms += [
                exp.alias_(
                    exp.select(exp.Count(this=column.copy())).from_("sampled").subquery(), f"n{i}"
                ),
                exp.alias_(counted.copy().from_(groups.subquery("g")).subquery(), f"d{i}"),
                exp.alias_(counted.copy().from_(once.subquery("g")).subquery(), f"f{i}"),
            ]
        return exp.select(*terms).with_("sampled", as_=sample, materialized=True)


def duj1(sampled: int, distinct: int, once: int, present: float | None) -> float | None:
    """Haas and Stokes' Duj1 estimate of the distinct values among ``present`` values, from
    a sample of ``sampled`` values holding ``distinct`` values, ``once`` of them only once."""
    if present is None:
        return None
    if sampled == 0 or present == 0:
        return 0.0 if present == 0 else None
    if sampled >= present or once == 0:
        return float(distinct)  # every value seen, or every value seen twice or more
    estimate = sampled * distinct / (sampled - once + once * sampled / present)
    return float(round(min(max(estimate, distinct), present)))


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
