"""``in_set`` / ``not_in_set: {column, values}`` — allowed or forbidden values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import field_validator
from sqlglot import exp

from datasteward.checks.base import Check
from datasteward.checks.literals import literal
from datasteward.checks.row_level import ColumnParams, RowLevelCheck

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class SetParams(ColumnParams):
    values: list[str | int | float | bool]

    @field_validator("values")
    @classmethod
    def _not_empty(cls, values: list[str | int | float | bool]) -> list[str | int | float | bool]:
        if not values:
            raise ValueError("list at least one value")
        return values


class InSet(RowLevelCheck):
    type_name = "in_set"
    Params = SetParams

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        assert isinstance(check.params, SetParams) and check.column
        return exp.In(
            this=ctx.column(check.column), expressions=[literal(v) for v in check.params.values]
        )

    def problem(self, check: Check) -> str:
        assert isinstance(check.params, SetParams)
        shown = ", ".join(map(str, check.params.values[:8]))
        more = ", …" if len(check.params.values) > 8 else ""
        return f"have {check.column} not in [{shown}{more}]"


class NotInSet(InSet):
    type_name = "not_in_set"

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        return exp.Not(this=super().valid(check, ctx))

    def problem(self, check: Check) -> str:
        return super().problem(check).replace(" not in ", " in forbidden ")
