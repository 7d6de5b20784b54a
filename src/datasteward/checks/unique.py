"""``unique: col`` or ``unique: [a, b]`` — every row whose key occurs more than once fails.

Rows with a NULL in the key are ignored (NULL is not a value to duplicate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import field_validator
from sqlglot import exp

from datasteward.checks.base import Check, CheckParams, Outcome, count_if, filtered
from datasteward.checks.row_level import RowLevelCheck, judge_rows, not_null_condition

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class UniqueParams(CheckParams):
    columns: list[str]

    @field_validator("columns")
    @classmethod
    def _not_empty(cls, columns: list[str]) -> list[str]:
        if not columns:
            raise ValueError("name at least one column")
        return columns


class Unique(RowLevelCheck):
    type_name = "unique"
    Params = UniqueParams

    def shorthand(self, raw: Any) -> Mapping[str, Any]:
        if isinstance(raw, str):
            return {"columns": [raw]}
        if isinstance(raw, list):
            return {"columns": raw}
        if isinstance(raw, Mapping) and "column" in raw:
            rest = {k: v for k, v in raw.items() if k != "column"}
            return {**rest, "columns": [raw["column"]]}
        return super().shorthand(raw)

    def expand(self, params: CheckParams) -> list[Check]:
        assert isinstance(params, UniqueParams)
        label = ", ".join(params.columns)
        column = params.columns[0] if len(params.columns) == 1 else None
        name = params.name or f"unique({label})"
        return [Check(self, params, name, column, tuple(params.columns))]

    def considered(self, check: Check, ctx: ScanContext) -> exp.Expr:
        keys = [not_null_condition(ctx.column(c)) for c in check.columns]
        return filtered(check, ctx, exp.and_(*keys) if len(keys) > 1 else keys[0])

    def _duplicate_keys(self, check: Check, ctx: ScanContext, *outputs: exp.Expr) -> exp.Select:
        keys = [ctx.column(c) for c in check.columns]
        return (
            exp.select(*outputs)
            .from_(ctx.relation.copy())
            .where(self.considered(check, ctx))
            .group_by(*keys)
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        )

    def metrics(self, check: Check, ctx: ScanContext) -> dict[str, exp.Expr]:
        groups = self._duplicate_keys(check, ctx, exp.alias_(exp.Count(this=exp.Star()), "n"))
        failed = exp.select(
            exp.Coalesce(this=exp.Sum(this=exp.column("n")), expressions=[exp.Literal.number(0)])
        ).from_(groups.subquery("duplicate_groups"))
        return {"considered": count_if(self.considered(check, ctx)), "failed": failed.subquery()}

    def evaluate(self, check: Check, values: Mapping[str, Any], ctx: ScanContext) -> Outcome:
        considered, failed = int(values["considered"] or 0), int(values["failed"] or 0)
        label = " and ".join(check.columns)
        return judge_rows(check, considered, failed, f"share a duplicated {label}")

    def failing_rows(self, check: Check, ctx: ScanContext, limit: int) -> exp.Select | None:
        keys = [ctx.column(c) for c in check.columns]
        duplicates = self._duplicate_keys(check, ctx, *keys)
        target: exp.Expr = keys[0] if len(keys) == 1 else exp.Tuple(expressions=keys)
        in_duplicates = exp.In(this=target.copy(), query=duplicates.subquery())
        return (
            ctx.rows()
            .where(exp.and_(self.considered(check, ctx), in_duplicates))
            .order_by(*(k.copy() for k in keys))
            .limit(limit)
        )

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        raise NotImplementedError("unique counts rows through a grouped subquery")

    def problem(self, check: Check) -> str:
        return "share a duplicated key"
