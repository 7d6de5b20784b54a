"""``foreign_key: {column, references: dataset.column}`` — every value exists in the parent.

When both datasets live in the same source the check is one more term of the dataset's
single query (an anti-join the engine plans). Across sources, each side streams its key
set as Arrow batches into a scratch DuckDB that compares them, so neither side is ever
loaded whole into Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import field_validator
from sqlglot import exp

from datasteward.checks.base import Check, Outcome
from datasteward.checks.literals import literal
from datasteward.checks.row_level import ColumnParams, RowLevelCheck, judge_rows, not_null_condition
from datasteward.errors import CheckDefinitionError, did_you_mean

if TYPE_CHECKING:
    from datasteward.compile.context import DatasetRef, ScanContext


class ForeignKeyParams(ColumnParams):
    references: str

    @field_validator("references")
    @classmethod
    def _dotted(cls, text: str) -> str:
        if "." not in text:
            raise ValueError("write references as dataset.column, e.g. customers.customer_id")
        return text


class ForeignKey(RowLevelCheck):
    type_name = "foreign_key"
    Params = ForeignKeyParams

    def _parent(self, check: Check, ctx: ScanContext) -> tuple[DatasetRef, str]:
        assert isinstance(check.params, ForeignKeyParams)
        dataset, column = check.params.references.rsplit(".", 1)
        if ctx.resolve is None:
            raise CheckDefinitionError("foreign_key needs a project with the referenced dataset")
        parent = ctx.resolve(dataset)
        names = [c.name for c in parent.columns]
        if column not in names:
            raise CheckDefinitionError(
                f"column {column!r} not found in dataset {dataset!r}",
                hint=did_you_mean(column, names),
            )
        return parent, column

    def is_alone(self, check: Check, ctx: ScanContext) -> bool:
        return self._parent(check, ctx)[0].source != ctx.source

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        parent, column = self._parent(check, ctx)
        key = exp.column(column, quoted=True)
        parent_keys = (
            exp.select(key).from_(parent.relation.copy()).where(not_null_condition(key.copy()))
        )
        assert check.column
        return exp.In(this=ctx.column(check.column), query=parent_keys.subquery())

    def problem(self, check: Check) -> str:
        assert isinstance(check.params, ForeignKeyParams)
        return f"have a {check.column} missing from {check.params.references}"

    def run_alone(self, check: Check, ctx: ScanContext) -> Outcome:
        import duckdb

        parent, parent_column = self._parent(check, ctx)
        assert check.column
        child_key = ctx.column(check.column)
        child_counts = (
            exp.select(exp.alias_(child_key, "k"), exp.alias_(exp.Count(this=exp.Star()), "n"))
            .from_(ctx.relation.copy())
            .where(self.considered(check, ctx))
            .group_by(child_key.copy())
        )
        parent_key = exp.column(parent_column, quoted=True)
        parent_keys = (
            exp.select(exp.alias_(parent_key, "k"))
            .distinct()
            .from_(parent.relation.copy())
            .where(not_null_condition(parent_key.copy()))
        )
        scratch = duckdb.connect()
        try:
            scratch.register("child_stream", ctx.engine.stream(child_counts))
            scratch.execute("CREATE TABLE child AS SELECT * FROM child_stream")
            scratch.register("parent_stream", parent.engine.stream(parent_keys))
            scratch.execute("CREATE TABLE parent AS SELECT * FROM parent_stream")
            considered, failed, orphans = _compare(scratch, check.params.samples)
        finally:
            scratch.close()
        outcome = judge_rows(check, considered, failed, self.problem(check))
        samples: list[dict[str, Any]] = []
        if failed and orphans and check.params.samples:
            rows = ctx.rows().where(
                exp.In(this=child_key.copy(), expressions=[literal(k) for k in orphans])
            )
            samples = ctx.engine.fetch(rows.limit(check.params.samples)).as_dicts()
        return Outcome(
            outcome.passed, outcome.message, outcome.observed, outcome.failed_rows, samples
        )


def _compare(scratch: Any, samples: int) -> tuple[int, int, list[Any]]:
    """Rows considered, rows without a parent, and a few orphan keys. The two sides are
    compared as text when their types disagree (an integer id against a CSV string)."""
    import duckdb

    # Fixed SQL over our own scratch tables: no user value is ever part of it.
    for child_key, parent_key in (("c.k", "p.k"), ("CAST(c.k AS VARCHAR)", "CAST(p.k AS VARCHAR)")):
        missing = f"{child_key} NOT IN (SELECT {parent_key} FROM parent p)"
        try:
            considered, failed = scratch.execute(
                f"SELECT COALESCE(SUM(n), 0), COALESCE(SUM(n) FILTER (WHERE {missing}), 0) "
                "FROM child c"
            ).fetchall()[0]
            orphans = scratch.execute(
                f"SELECT c.k FROM child c WHERE {missing} ORDER BY c.k LIMIT ?", [samples]
            ).fetchall()
        except duckdb.Error:
            continue
        return int(considered), int(failed), [row[0] for row in orphans]
    raise CheckDefinitionError("cannot compare the key sets: the key types are incompatible")
