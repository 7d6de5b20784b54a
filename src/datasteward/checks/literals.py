"""Python values from the configuration as SQL literals (never as pasted text)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

__all__ = ["literal"]


def literal(value: Any) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))
