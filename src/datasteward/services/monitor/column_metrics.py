"""``monitor: auto``: metrics every scan records for every column, in the same query.

Per column: missing count and percent, distinct count (approximate where the engine has
a sketch), and by type min, max, mean, stddev, and for timestamps the freshness lag
(hours between the newest value and the run's logical time).
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
        for name, _family in self.columns:
            present = _number(row.get(f"values\0{name}"))
            if rows is not None and present is not None:
                missing = rows - present
                metrics.append(MetricValue("missing_count", missing, name))
                metrics.append(
                    MetricValue("missing_percent", 100.0 * missing / rows if rows else 0.0, name)
                )
            metrics.append(
                MetricValue("distinct_count", _number(row.get(f"distinct\0{name}")), name)
            )
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


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
