"""``schema: {columns: {name: type}, allow_extra: true}`` — columns exist with the types.

Types are compared by family (``integer`` accepts INT, BIGINT, int8 …) so one
configuration works on every engine; an exact engine type (``DECIMAL(10,2)``) is
compared as written.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from datasteward.checks.base import Check, CheckDefinition, CheckParams, Outcome

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext

_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    ("timestamp", re.compile(r"^(timestamp|datetime)")),
    ("date", re.compile(r"^date$")),
    ("time", re.compile(r"^time")),
    ("boolean", re.compile(r"^bool")),
    ("decimal", re.compile(r"^(decimal|numeric)")),
    ("integer", re.compile(r"^(u?(tiny|small|big|huge)?int|integer|int\d|serial|bigserial|long)")),
    ("double", re.compile(r"^(double|float|real)")),
    ("string", re.compile(r"^(varchar|text|char|character|string|bpchar|clob|uuid)")),
    ("binary", re.compile(r"^(blob|bytea|binary|varbinary)")),
]
_ALIASES = {
    "float": "double",
    "int": "integer",
    "bigint": "integer",
    "text": "string",
    "varchar": "string",
    "bool": "boolean",
    "numeric": "decimal",
    "datetime": "timestamp",
    "blob": "binary",
    "bytes": "binary",
    "str": "string",
}


def type_family(engine_type: str) -> str:
    """The family of an engine type name: integer, double, decimal, string, …"""
    lowered = engine_type.strip().lower()
    for family, pattern in _FAMILIES:
        if pattern.match(lowered):
            return family
    return lowered


def matches(expected: str, actual: str) -> bool:
    wanted = _ALIASES.get(expected.strip().lower(), expected.strip().lower())
    if wanted in {family for family, _ in _FAMILIES}:
        return type_family(actual) == wanted
    return actual.strip().lower() == wanted


class SchemaParams(CheckParams):
    columns: dict[str, str] = {}
    allow_extra: bool = True


class Schema(CheckDefinition):
    type_name = "schema"
    Params = SchemaParams
    runs_alone = True

    def columns_used(self, check: Check, ctx: ScanContext) -> list[str]:
        return []  # missing columns are this check's finding, not a reason to skip it

    def run_alone(self, check: Check, ctx: ScanContext) -> Outcome:
        assert isinstance(check.params, SchemaParams)
        actual = {c.name: c.type for c in ctx.columns}
        problems = []
        for name, expected in check.params.columns.items():
            if name not in actual:
                problems.append(f"{name} is missing")
            elif not matches(expected, actual[name]):
                problems.append(f"{name} is {actual[name]}, expected {expected}")
        if not check.params.allow_extra:
            extra = [n for n in actual if n not in check.params.columns]
            problems += [f"{name} is not expected" for name in extra]
        message = "; ".join(problems) if problems else f"{len(actual)} columns as expected"
        return Outcome(not problems, message, observed=actual, failed_rows=None)
