"""``not_null: [a, b]`` — no NULLs in each listed column (one result per column)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import model_validator
from sqlglot import exp

from datasteward.checks.base import Check, CheckParams, filtered
from datasteward.checks.row_level import RowLevelCheck

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class NotNullParams(CheckParams):
    column: str | None = None
    columns: list[str] = []

    @model_validator(mode="after")
    def _some_column(self) -> NotNullParams:
        if not self.column and not self.columns:
            raise ValueError("name the column(s): not_null: [a, b]")
        return self


class NotNull(RowLevelCheck):
    type_name = "not_null"
    Params = NotNullParams

    def shorthand(self, raw: Any) -> Mapping[str, Any]:
        if isinstance(raw, str):
            return {"columns": [raw]}
        if isinstance(raw, list):
            return {"columns": raw}
        return super().shorthand(raw)

    def expand(self, params: CheckParams) -> list[Check]:
        assert isinstance(params, NotNullParams)
        columns = ([params.column] if params.column else []) + params.columns
        return [
            Check(self, params, params.name or self.default_name(params, column), column)
            for column in columns
        ]

    def considered(self, check: Check, ctx: ScanContext) -> exp.Expr:
        return filtered(check, ctx, None)  # every row counts: NULL is the failure here

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        assert check.column is not None
        return exp.Not(this=exp.Is(this=ctx.column(check.column), expression=exp.Null()))

    def problem(self, check: Check) -> str:
        return f"have a NULL {check.column}"
