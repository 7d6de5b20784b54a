"""``between: {column, min, max}`` — each non-null value lies within the bounds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import model_validator
from sqlglot import exp

from datasteward.checks.base import Check
from datasteward.checks.literals import literal
from datasteward.checks.row_level import ColumnParams, RowLevelCheck
from datasteward.checks.schema import type_family

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class BetweenParams(ColumnParams):
    # Numbers, or strings for dates and timestamps ('2024-01-01').
    min: float | str | None = None
    max: float | str | None = None
    strict_min: bool = False
    strict_max: bool = False

    @model_validator(mode="after")
    def _a_bound(self) -> BetweenParams:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and _ordered(self.min, self.max) is False:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


def _ordered(low: float | str, high: float | str) -> bool | None:
    """Whether low <= high, or None when they cannot be compared (a date and a number)."""
    if isinstance(low, str) != isinstance(high, str):
        return None
    return low <= high  # type: ignore[operator]


class Between(RowLevelCheck):
    type_name = "between"
    Params = BetweenParams

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        params = check.params
        assert isinstance(params, BetweenParams) and check.column
        value: exp.Expr = ctx.column(check.column)
        family = type_family(ctx.column_type(check.column) or "")
        temporal = family in {"date", "timestamp"}

        def bound(given: float | str) -> exp.Expr:
            return ctx.engine.temporal(literal(given), family) if temporal else literal(given)

        if temporal:
            value = ctx.engine.temporal(value, family)
        parts: list[exp.Expr] = []
        if params.min is not None:
            low = exp.GT if params.strict_min else exp.GTE
            parts.append(low(this=value.copy(), expression=bound(params.min)))
        if params.max is not None:
            high = exp.LT if params.strict_max else exp.LTE
            parts.append(high(this=value.copy(), expression=bound(params.max)))
        return exp.and_(*parts) if len(parts) > 1 else parts[0]

    def problem(self, check: Check) -> str:
        params = check.params
        assert isinstance(params, BetweenParams)
        if params.max is None:
            return f"have {check.column} {'<=' if params.strict_min else '<'} {_show(params.min)}"
        if params.min is None:
            return f"have {check.column} {'>=' if params.strict_max else '>'} {_show(params.max)}"
        low = "(" if params.strict_min else "["
        high = ")" if params.strict_max else "]"
        return f"have {check.column} outside {low}{_show(params.min)}, {_show(params.max)}{high}"


def _show(value: float | str | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
