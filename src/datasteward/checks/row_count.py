"""``row_count: {min: 1}`` — the number of rows (after ``where``) is within bounds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from datasteward.checks.base import Check, CheckDefinition, Outcome, as_number, count_if, filtered
from datasteward.checks.thresholds import ThresholdParams, describe_bounds, within

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class RowCount(CheckDefinition):
    type_name = "row_count"
    Params = ThresholdParams

    def metrics(self, check: Check, ctx: ScanContext) -> dict[str, exp.Expr]:
        if check.params.where:
            return {"rows": count_if(filtered(check, ctx, None))}
        return {"rows": exp.Count(this=exp.Star())}

    def evaluate(self, check: Check, values: Mapping[str, Any], ctx: ScanContext) -> Outcome:
        assert isinstance(check.params, ThresholdParams)
        rows = as_number(values["rows"])
        bounds = describe_bounds(check.params)
        passed = within(rows, check.params)
        return Outcome(passed, f"{rows:.0f} rows (expected {bounds})", observed=int(rows or 0))

    def metric_values(self, check: Check, values: Mapping[str, Any]) -> dict[str, float | None]:
        return {}  # the dataset row count is always recorded by the scan itself
