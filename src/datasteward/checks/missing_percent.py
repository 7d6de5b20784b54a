"""``missing_percent: {column, max}`` — the share of NULLs in a column, in percent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from datasteward.checks.base import Check, CheckDefinition, Outcome, count_if, filtered
from datasteward.checks.thresholds import ThresholdParams, describe_bounds, within

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class MissingPercentParams(ThresholdParams):
    column: str


class MissingPercent(CheckDefinition):
    type_name = "missing_percent"
    Params = MissingPercentParams

    def expand(self, params: Any) -> list[Check]:
        return [
            Check(
                self, params, params.name or self.default_name(params, params.column), params.column
            )
        ]

    def metrics(self, check: Check, ctx: ScanContext) -> dict[str, exp.Expr]:
        assert check.column
        missing = exp.Is(this=ctx.column(check.column), expression=exp.Null())
        return {
            "rows": count_if(filtered(check, ctx, None)),
            "missing": count_if(filtered(check, ctx, missing)),
        }

    def evaluate(self, check: Check, values: Mapping[str, Any], ctx: ScanContext) -> Outcome:
        assert isinstance(check.params, MissingPercentParams)
        percent = _percent(values)
        passed = within(percent, check.params)
        message = (
            f"{percent:.2f}% of {check.column} is missing ({values['missing']} of {values['rows']} "
            f"rows; expected {describe_bounds(check.params)})"
        )
        return Outcome(passed, message, observed=round(percent, 4))

    def metric_values(self, check: Check, values: Mapping[str, Any]) -> dict[str, float | None]:
        return {} if check.params.where else {"missing_percent": _percent(values)}


def _percent(values: Mapping[str, Any]) -> float:
    rows = int(values["rows"] or 0)
    return 100.0 * int(values["missing"] or 0) / rows if rows else 0.0
