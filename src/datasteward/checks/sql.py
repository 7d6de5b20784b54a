"""``sql: {name, query, max}`` — a SELECT returning one number, compared with bounds.

Dataset names in the query (``FROM orders``) stand for the datasets themselves, so the
same check works whether ``orders`` is a Parquet glob or a table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlglot import exp

from datasteward.checks.base import Check, CheckDefinition, Outcome
from datasteward.checks.thresholds import ThresholdParams, describe_bounds, within
from datasteward.compile.user_sql import parse_select
from datasteward.errors import CheckDefinitionError

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class SqlParams(ThresholdParams):
    query: str


class Sql(CheckDefinition):
    type_name = "sql"
    Params = SqlParams
    runs_alone = True

    def columns_used(self, check: Check, ctx: ScanContext) -> list[str]:
        return []

    def query(self, check: Check, ctx: ScanContext) -> exp.Query:
        assert isinstance(check.params, SqlParams)
        query = parse_select(check.params.query, ctx.dialect)
        for table in list(query.find_all(exp.Table)):
            if table.db or not table.name:
                continue
            relation = self._dataset_relation(table.name, ctx)
            if relation is not None:
                alias = table.alias or table.name
                table.replace(exp.alias_(relation, alias, table=True, quoted=True))
        return query

    def _dataset_relation(self, name: str, ctx: ScanContext) -> exp.Expr | None:
        if name == ctx.dataset:
            return ctx.relation.copy()
        if ctx.resolve is None:
            return None
        try:
            other = ctx.resolve(name)
        except KeyError:
            return None  # a real table of the source, left as written
        return other.relation.copy() if other.source == ctx.source else None

    def run_alone(self, check: Check, ctx: ScanContext) -> Outcome:
        assert isinstance(check.params, SqlParams)
        rows = ctx.engine.fetch(self.query(check, ctx)).rows
        if not rows or not rows[0]:
            raise CheckDefinitionError("query returned no rows; it must return one number")
        value = rows[0][0]
        if value is not None and not isinstance(value, int | float | Decimal):
            raise CheckDefinitionError(f"query returned {value!r}; it must return one number")
        number = None if value is None else float(value)
        message = f"query returned {value} (expected {describe_bounds(check.params)})"
        return Outcome(within(number, check.params), message, observed=number)
