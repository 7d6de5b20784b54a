"""``metric: {column, stat, min, max, equals}`` — one column statistic within bounds.

Statistics: min, max, mean, median, stddev, sum, distinct_count, distinct_percent,
missing_count, missing_percent, duplicate_count, duplicate_percent. ``duplicate_count``
is the number of non-null values that repeat an earlier one (non-null count minus
distinct count); percentages are of non-null values, except missing_percent (of rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from sqlglot import exp

from datasteward.checks.base import (
    Check,
    CheckDefinition,
    Outcome,
    as_number,
    count_if,
    filtered,
    value_if,
)
from datasteward.checks.schema import type_family
from datasteward.checks.thresholds import ThresholdParams, describe_bounds, within
from datasteward.errors import CheckDefinitionError

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext

Stat = Literal[
    "min",
    "max",
    "mean",
    "median",
    "stddev",
    "sum",
    "distinct_count",
    "distinct_percent",
    "missing_count",
    "missing_percent",
    "duplicate_count",
    "duplicate_percent",
]


_NUMERIC_STATS = {"mean", "stddev", "sum", "median"}
_NOT_NUMBERS = {"string", "date", "timestamp", "time", "binary"}


class MetricParams(ThresholdParams):
    column: str
    stat: Stat


def _share(part: Any, whole: Any) -> float | None:
    whole_n = as_number(whole) or 0
    return 100.0 * (as_number(part) or 0) / whole_n if whole_n else 0.0


# How each statistic is derived from the raw aggregates (computed in the engine).
_DERIVE: dict[str, Callable[[Mapping[str, Any]], float | None]] = {
    "distinct_percent": lambda v: _share(v["distinct"], v["values"]),
    "missing_count": lambda v: as_number(v["rows"]) - as_number(v["values"]),  # type: ignore[operator]
    "missing_percent": lambda v: _share(
        (as_number(v["rows"]) or 0) - (as_number(v["values"]) or 0), v["rows"]
    ),
    "duplicate_count": lambda v: as_number(v["values"]) - as_number(v["distinct"]),  # type: ignore[operator]
    "duplicate_percent": lambda v: _share(
        (as_number(v["values"]) or 0) - (as_number(v["distinct"]) or 0), v["values"]
    ),
}


class Metric(CheckDefinition):
    type_name = "metric"
    Params = MetricParams

    def expand(self, params: Any) -> list[Check]:
        name = params.name or f"{params.stat}({params.column})"
        return [Check(self, params, name, params.column)]

    def metrics(self, check: Check, ctx: ScanContext) -> dict[str, exp.Expr]:
        assert isinstance(check.params, MetricParams) and check.column
        stat = check.params.stat
        column: exp.Expr = ctx.column(check.column)
        family = type_family(ctx.column_type(check.column) or "")
        if stat in _NUMERIC_STATS and family in _NOT_NUMBERS:
            # SQLite would quietly read text as 0; every engine must say the same thing.
            raise CheckDefinitionError(
                f"{stat} needs a numeric column; {check.column} is {ctx.column_type(check.column)}"
            )
        if family == "boolean":
            # Booleans count as 0/1; PostgreSQL has no boolean→double cast nor SUM(boolean).
            column = exp.cast(column, exp.DataType.build("int"))
        value = value_if(filtered(check, ctx, None), column)
        direct: dict[str, Callable[[], exp.Expr]] = {
            "min": lambda: exp.Min(this=value),
            "max": lambda: exp.Max(this=value),
            "mean": lambda: exp.Avg(this=exp.cast(value, exp.DataType.build("double"))),
            "sum": lambda: exp.Sum(this=value),
            "median": lambda: ctx.engine.median(value, ctx.relation),
            "stddev": lambda: ctx.engine.stddev(exp.cast(value, exp.DataType.build("double"))),
            "distinct_count": lambda: exp.Count(this=exp.Distinct(expressions=[value])),
        }
        if stat in direct:
            return {"value": direct[stat]()}
        return {
            "rows": count_if(filtered(check, ctx, None)),
            "values": exp.Count(this=value.copy()),
            "distinct": exp.Count(this=exp.Distinct(expressions=[value.copy()])),
        }

    def observed(self, check: Check, values: Mapping[str, Any]) -> float | None:
        assert isinstance(check.params, MetricParams)
        stat = check.params.stat
        return _DERIVE[stat](values) if stat in _DERIVE else as_number(values["value"])

    def evaluate(self, check: Check, values: Mapping[str, Any], ctx: ScanContext) -> Outcome:
        assert isinstance(check.params, MetricParams)
        try:
            value = self.observed(check, values)
        except (TypeError, ValueError):
            raise CheckDefinitionError(
                f"{check.params.stat} of {check.column} is {values.get('value')!r}, "
                "which cannot be compared with numeric bounds"
            ) from None
        expected = describe_bounds(check.params)
        shown = "NULL (no values)" if value is None else f"{value:g}"
        return Outcome(
            within(value, check.params),
            f"{check.params.stat} of {check.column} is {shown} (expected {expected})",
            observed=value,
        )

    def metric_values(self, check: Check, values: Mapping[str, Any]) -> dict[str, float | None]:
        assert isinstance(check.params, MetricParams)
        if check.params.where:
            return {}
        try:
            return {check.params.stat: self.observed(check, values)}
        except (TypeError, ValueError):
            return {}  # not a number (the min of a text column): nothing to chart
