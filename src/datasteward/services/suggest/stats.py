"""The few statistics ``steward suggest`` needs, measured by the engine in two queries.

1. One aggregate SELECT: the row count and, per column, values, distinct values, min/max
   (numbers, dates, timestamps), text lengths and how many values match each candidate
   pattern (text).
2. For text columns with few distinct values only: each value and how often it occurs,
   as one UNION ALL of small GROUP BYs.

Nothing but these aggregates leaves the engine.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp

from datasteward.checks.base import count_if
from datasteward.checks.schema import type_family
from datasteward.compile.context import DatasetRef
from datasteward.engines.base import QueryError
from datasteward.errors import SourceError
from datasteward.services.suggest.patterns import PATTERNS, Pattern

__all__ = ["MAX_CATEGORIES", "ColumnStats", "DatasetStats", "measure"]

#: text columns with at most this many distinct values have their frequencies counted
MAX_CATEGORIES = 20

NUMERIC = frozenset({"integer", "double", "decimal"})
TEMPORAL = frozenset({"date", "timestamp"})
#: families whose distinct values are worth counting (uniqueness, categories)
_COUNTABLE = NUMERIC | TEMPORAL | {"string", "boolean", "time"}


@dataclass(frozen=True)
class ColumnStats:
    name: str
    family: str  # integer, double, decimal, string, date, timestamp, boolean, …
    values: int  # non-null values
    distinct: int | None = None
    low: Any = None  # min of numbers, dates and timestamps
    high: Any = None
    shortest: int | None = None  # text length, for strings
    longest: int | None = None
    #: candidate patterns every value matches, most specific first
    patterns: tuple[Pattern, ...] = ()
    #: value → rows, for strings with at most MAX_CATEGORIES distinct values
    frequencies: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetStats:
    dataset: str
    rows: int
    columns: list[ColumnStats]

    def column(self, name: str) -> ColumnStats | None:
        return next((c for c in self.columns if c.name == name), None)


def measure(ref: DatasetRef) -> DatasetStats:
    """Measure a dataset where it lives (two queries at most); SourceError if it cannot."""
    try:
        return _measure(ref)
    except QueryError as error:
        raise SourceError(f"dataset {ref.name!r}: cannot measure it: {error}") from None


def _measure(ref: DatasetRef) -> DatasetStats:
    terms: dict[tuple[str, str], exp.Expr] = {("", "rows"): exp.Count(this=exp.Star())}
    families = {column.name: type_family(column.type) for column in ref.columns}
    for name, family in families.items():
        terms.update({(name, stat): term for stat, term in _terms(ref, name, family).items()})
    aliases = {key: f"s{index}" for index, key in enumerate(terms)}
    query = exp.select(*(exp.alias_(terms[key], aliases[key]) for key in terms)).from_(
        ref.relation.copy()
    )
    row = dict(zip(aliases.values(), ref.engine.fetch(query).rows[0], strict=True))
    found = {key: row[alias] for key, alias in aliases.items()}
    columns = [_column(name, family, found) for name, family in families.items()]
    frequencies = _frequencies(ref, [c for c in columns if _categorical(c)])
    columns = [
        replace(c, frequencies=frequencies[c.name]) if c.name in frequencies else c for c in columns
    ]
    return DatasetStats(ref.name, int(found[("", "rows")] or 0), columns)


def _terms(ref: DatasetRef, name: str, family: str) -> dict[str, exp.Expr]:
    value = exp.column(name, quoted=True)
    terms: dict[str, exp.Expr] = {"values": exp.Count(this=value.copy())}
    if family in _COUNTABLE:
        terms["distinct"] = exp.Count(this=exp.Distinct(expressions=[value.copy()]))
    if family in NUMERIC | TEMPORAL:
        terms["low"] = exp.Min(this=value.copy())
        terms["high"] = exp.Max(this=value.copy())
    if family == "string":
        terms["shortest"] = exp.Min(this=ref.engine.length(value.copy()))
        terms["longest"] = exp.Max(this=ref.engine.length(value.copy()))
        # The same text cast as the regex check uses, so a shape found here passes there.
        text = exp.cast(value.copy(), exp.DataType.build("text"))
        for pattern in PATTERNS:
            terms[f"pattern:{pattern.name}"] = count_if(
                ref.engine.regex_match(text.copy(), pattern.regex)
            )
    return terms


def _column(name: str, family: str, found: dict[tuple[str, str], Any]) -> ColumnStats:
    def number(stat: str) -> int | None:
        value = found.get((name, stat))
        return None if value is None else int(value)

    values = number("values") or 0
    matched = tuple(p for p in PATTERNS if values and number(f"pattern:{p.name}") == values)
    return ColumnStats(
        name=name,
        family=family,
        values=values,
        distinct=number("distinct"),
        low=found.get((name, "low")),
        high=found.get((name, "high")),
        shortest=number("shortest"),
        longest=number("longest"),
        patterns=matched,
    )


def _categorical(column: ColumnStats) -> bool:
    return (
        column.family == "string"
        and column.values > 0
        and column.distinct is not None
        and column.distinct <= MAX_CATEGORIES
    )


def _frequencies(ref: DatasetRef, columns: list[ColumnStats]) -> dict[str, dict[str, int]]:
    """Each value of each (low-cardinality) column with its count, in one query."""
    if not columns:
        return {}
    parts: list[exp.Query] = []
    for index, column in enumerate(columns):
        value = exp.column(column.name, quoted=True)
        parts.append(
            exp.select(
                exp.alias_(exp.Literal.number(index), "k"),
                exp.alias_(exp.cast(value.copy(), exp.DataType.build("text")), "v"),
                exp.alias_(exp.Count(this=exp.Star()), "n"),
            )
            .from_(ref.relation.copy())
            .where(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))
            .group_by(value.copy())
        )
    query = functools.reduce(
        lambda left, right: exp.union(left, right, distinct=False), parts[1:], parts[0]
    )
    found: dict[str, dict[str, int]] = {column.name: {} for column in columns}
    for index, text, count in ref.engine.fetch(query).rows:
        found[columns[int(index)].name][str(text)] = int(count)
    return found
