"""``regex`` / ``not_regex: {column, pattern}`` — values match (or avoid) a pattern.

The pattern is searched anywhere in the value, as in every engine's regex function; anchor
it with ``^…$`` to match whole values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import field_validator
from sqlglot import exp

from datasteward.checks.base import Check
from datasteward.checks.row_level import ColumnParams, RowLevelCheck

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class RegexParams(ColumnParams):
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"invalid regular expression: {error}") from None
        return pattern


class Regex(RowLevelCheck):
    type_name = "regex"
    Params = RegexParams

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        assert isinstance(check.params, RegexParams) and check.column
        text = exp.cast(ctx.column(check.column), exp.DataType.build("text"))
        return ctx.engine.regex_match(text, check.params.pattern)

    def problem(self, check: Check) -> str:
        assert isinstance(check.params, RegexParams)
        return f"have {check.column} not matching {check.params.pattern!r}"


class NotRegex(Regex):
    type_name = "not_regex"

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        return exp.Not(this=super().valid(check, ctx))

    def problem(self, check: Check) -> str:
        assert isinstance(check.params, RegexParams)
        return f"have {check.column} matching the forbidden {check.params.pattern!r}"
