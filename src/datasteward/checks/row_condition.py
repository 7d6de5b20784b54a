"""``row_condition: {name, condition}`` — every row satisfies a SQL condition.

Rows for which the condition is NULL (it cannot judge them) do not fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from datasteward.checks.base import Check, CheckParams
from datasteward.checks.row_level import RowLevelCheck

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class RowConditionParams(CheckParams):
    condition: str


class RowCondition(RowLevelCheck):
    type_name = "row_condition"
    Params = RowConditionParams

    def columns_used(self, check: Check, ctx: ScanContext) -> list[str]:
        assert isinstance(check.params, RowConditionParams)
        return super().columns_used(check, ctx) + ctx.columns_in(
            check.params.condition, what="condition"
        )

    def subject(self, check: Check, ctx: ScanContext) -> exp.Expr | None:
        return None

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        assert isinstance(check.params, RowConditionParams)
        return ctx.condition(check.params.condition, what="condition")

    def problem(self, check: Check) -> str:
        assert isinstance(check.params, RowConditionParams)
        return f"violate {check.params.condition!r}"
