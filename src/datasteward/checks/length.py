"""``length: {column, min, max}`` (or ``equals``) — text length of each non-null value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import model_validator
from sqlglot import exp

from datasteward.checks.base import Check
from datasteward.checks.row_level import ColumnParams, RowLevelCheck

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class LengthParams(ColumnParams):
    min: int | None = None
    max: int | None = None
    equals: int | None = None

    @model_validator(mode="after")
    def _a_bound(self) -> LengthParams:
        if self.min is None and self.max is None and self.equals is None:
            raise ValueError("give min, max or equals")
        return self


class Length(RowLevelCheck):
    type_name = "length"
    Params = LengthParams

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        params = check.params
        assert isinstance(params, LengthParams) and check.column
        size = ctx.engine.length(ctx.column(check.column))
        parts: list[exp.Expr] = []
        if params.equals is not None:
            parts.append(exp.EQ(this=size.copy(), expression=exp.Literal.number(params.equals)))
        if params.min is not None:
            parts.append(exp.GTE(this=size.copy(), expression=exp.Literal.number(params.min)))
        if params.max is not None:
            parts.append(exp.LTE(this=size.copy(), expression=exp.Literal.number(params.max)))
        return exp.and_(*parts) if len(parts) > 1 else parts[0]

    def problem(self, check: Check) -> str:
        params = check.params
        assert isinstance(params, LengthParams)
        if params.equals is not None:
            return f"have a {check.column} length other than {params.equals}"
        low = params.min if params.min is not None else 0
        high = params.max if params.max is not None else "inf"
        return f"have a {check.column} length outside [{low}, {high}]"
