"""Row-level checks: each row passes or fails a condition; NULLs are ignored.

They add two metrics to the dataset's one query: rows considered and rows failing, so
``failed_rows`` is exact and ``mostly`` is a ratio of the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from datasteward.checks.base import Check, CheckDefinition, CheckParams, Outcome, count_if, filtered

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext

__all__ = ["ColumnParams", "RowLevelCheck", "not_null_condition"]


class ColumnParams(CheckParams):
    column: str


def not_null_condition(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=value, expression=exp.Null()))


class RowLevelCheck(CheckDefinition):
    """Subclasses define :meth:`valid` (what a passing row satisfies) and :meth:`problem`."""

    def shorthand(self, raw: Any) -> Mapping[str, Any]:
        return {"column": raw} if isinstance(raw, str) else super().shorthand(raw)

    def expand(self, params: CheckParams) -> list[Check]:
        column = getattr(params, "column", None)
        return [Check(self, params, params.name or self.default_name(params, column), column)]

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        raise NotImplementedError

    def problem(self, check: Check) -> str:
        """How a failing row is described: 'amount outside [0, 10000]'."""
        raise NotImplementedError

    def subject(self, check: Check, ctx: ScanContext) -> exp.Expr | None:
        """Rows where this is NULL are not considered (None: every row is)."""
        return ctx.column(check.column) if check.column else None

    def considered(self, check: Check, ctx: ScanContext) -> exp.Expr:
        subject = self.subject(check, ctx)
        return filtered(check, ctx, not_null_condition(subject) if subject is not None else None)

    def failing(self, check: Check, ctx: ScanContext) -> exp.Expr:
        # NOT over a NULL condition is NULL, so rows the condition cannot judge do not fail.
        return exp.and_(
            self.considered(check, ctx), exp.Not(this=exp.Paren(this=self.valid(check, ctx)))
        )

    def metrics(self, check: Check, ctx: ScanContext) -> dict[str, exp.Expr]:
        return {
            "considered": count_if(self.considered(check, ctx)),
            "failed": count_if(self.failing(check, ctx)),
        }

    def evaluate(self, check: Check, values: Mapping[str, Any], ctx: ScanContext) -> Outcome:
        return judge_rows(
            check, int(values["considered"] or 0), int(values["failed"] or 0), self.problem(check)
        )

    def failing_rows(
        self,
        check: Check,
        ctx: ScanContext,
        limit: int,
        values: Mapping[str, Any] | None = None,
    ) -> exp.Select | None:
        return ctx.rows().where(self.failing(check, ctx)).limit(limit)


def judge_rows(check: Check, considered: int, failed: int, problem: str) -> Outcome:
    """Pass/fail from row counts, honouring ``mostly``; observed is the passing fraction."""
    passing = (considered - failed) / considered if considered else 1.0
    mostly = check.params.mostly
    passed = failed == 0 if mostly is None else passing >= mostly
    if failed == 0:
        message = f"all {considered} rows pass" if considered else "no rows to check"
    else:
        message = f"{failed} of {considered} rows {problem}"
        if mostly is not None:
            message += f" ({passing:.2%} pass, mostly requires {mostly:.2%})"
    return Outcome(passed, message, observed=round(passing, 6), failed_rows=failed)
