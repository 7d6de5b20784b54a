"""Parse SQL that users write (``where:``, ``condition:``, ``sql:`` checks) with SQLGlot.

User SQL is never pasted into a query as text: it is parsed, checked to be the one kind of
thing it should be, and embedded as an expression tree.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from datasteward.errors import CheckDefinitionError

__all__ = ["column_names", "parse_condition", "parse_select"]

_STATEMENTS = (exp.Query, exp.DDL, exp.DML, exp.Command, exp.Transaction, exp.Set, exp.Use)


def parse_condition(text: str, dialect: str, *, what: str = "where") -> exp.Expr:
    """One SQL expression (``amount > 0 AND status = 'paid'``), never a statement."""
    expressions = _parse(text, dialect, what)
    # An allow list: only value expressions (conditions, columns, functions) get through.
    if (
        len(expressions) != 1
        or not isinstance(expressions[0], exp.Condition)
        or isinstance(expressions[0], _STATEMENTS)
    ):
        raise CheckDefinitionError(
            f"{what}: {text!r} must be a single SQL expression, not a statement",
            hint='write a condition such as "amount > 0"',
        )
    return expressions[0]


def parse_select(text: str, dialect: str, *, what: str = "query") -> exp.Query:
    """Exactly one SELECT statement (set operations and CTEs allowed)."""
    expressions = _parse(text, dialect, what)
    if len(expressions) != 1 or not isinstance(expressions[0], exp.Query):
        raise CheckDefinitionError(
            f"{what}: must be a single SELECT statement",
            hint='for example "SELECT count(*) FROM orders WHERE amount < 0"',
        )
    return expressions[0]


def column_names(expression: exp.Expr) -> list[str]:
    """Unqualified column names an expression refers to (for the 'unknown column' check)."""
    names: list[str] = []
    for column in expression.find_all(exp.Column):
        if column.table or isinstance(column.parent, exp.Dot):
            continue
        if column.find_ancestor(exp.Subquery, exp.Select) is not None:
            continue  # a subquery's columns belong to its own tables
        names.append(column.name)
    return names


def _parse(text: str, dialect: str, what: str) -> list[exp.Expr]:
    if not text or not text.strip():
        raise CheckDefinitionError(f"{what}: is empty")
    try:
        parsed = sqlglot.parse(text, read=dialect)
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        detail = first.get("description") or str(error).splitlines()[0]
        raise CheckDefinitionError(f"{what}: cannot parse {text!r}: {detail}") from None
    return [e for e in parsed if e is not None]
