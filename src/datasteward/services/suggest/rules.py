"""From statistics to suggested checks: one small rule per check type.

The rules prefer checks that keep passing on tomorrow's ordinary data over checks that
describe today's data exactly: bounds get a margin, categories need repeated evidence,
patterns are simple shapes, and nothing is inferred from a handful of values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from datasteward.checks.freshness import as_utc
from datasteward.durations import format_duration
from datasteward.services.suggest.bounds import (
    format_age,
    max_age,
    missing_ceiling,
    numeric_bounds,
    row_floor,
    start_of_year,
)
from datasteward.services.suggest.patterns import TOKEN
from datasteward.services.suggest.stats import NUMERIC, TEMPORAL, ColumnStats, DatasetStats

__all__ = ["Suggestion", "infer"]

#: patterns and lengths are not inferred from fewer values than this
MIN_VALUES = 10
#: a category must be seen at least this often to be part of an ``in_set``
MIN_CATEGORY_ROWS = 3
#: ``length`` is suggested for codes: values at most this long …
MAX_CODE_LENGTH = 12
#: … whose lengths differ by at most this much
MAX_CODE_SPREAD = 2
_KEY_NAME = re.compile(r"(?i)(^|[_\s-])(id|key|uuid|guid|code|email|sku|number)$|[a-z]I[dD]$")
_KEY_FAMILIES = frozenset({"integer", "decimal", "string"})


@dataclass(frozen=True)
class Suggestion:
    """One suggested check: its ``steward.yml`` entry and the evidence behind it."""

    type: str
    columns: tuple[str, ...]
    params: Any  # the value of ``- type: params``, as written in steward.yml
    evidence: str

    @property
    def column(self) -> str | None:
        return self.columns[0] if len(self.columns) == 1 else None

    @property
    def covers(self) -> tuple[str, tuple[str, ...]]:
        """What the check is about: the same for a configured check makes this a duplicate."""
        return (self.type, self.columns)

    def entry(self) -> dict[str, Any]:
        """The check as one item of a ``checks:`` list."""
        return {self.type: self.params}


def infer(stats: DatasetStats, *, key: Sequence[str], as_of: datetime) -> list[Suggestion]:
    """Every check the statistics support, dataset-wide ones first."""
    if stats.rows == 0:
        return []
    found = [_row_count(stats.rows)]
    found += [_not_null(c, stats.rows) for c in stats.columns if c.values == stats.rows]
    uniques = _uniques(stats, list(key))
    found += uniques
    identifiers = {c for s in uniques for c in s.columns} | set(key)
    identifiers |= {c.name for c in stats.columns if _KEY_NAME.search(c.name)}
    for column in stats.columns:
        found += _column_rules(column, stats.rows, identifiers)
    found += _freshness(stats, as_of)
    return found


def _row_count(rows: int) -> Suggestion:
    return Suggestion(
        "row_count",
        (),
        {"min": row_floor(rows)},
        f"{rows:,} rows now; fails if fewer than about half remain",
    )


def _not_null(column: ColumnStats, rows: int) -> Suggestion:
    return Suggestion("not_null", (column.name,), column.name, f"no NULLs in {rows:,} rows")


def _uniques(stats: DatasetStats, key: list[str]) -> list[Suggestion]:
    found = []
    if key:
        # The declared key is always proposed: if it has duplicates, verification drops
        # it and the user learns so.
        params: Any = key[0] if len(key) == 1 else key
        found.append(Suggestion("unique", tuple(key), params, "the dataset's declared key"))
    for column in stats.columns:
        if column.name not in key and _looks_like_key(column, stats.rows):
            found.append(
                Suggestion(
                    "unique",
                    (column.name,),
                    column.name,
                    f"{column.values:,} distinct values in {stats.rows:,} rows",
                )
            )
    return found


def _looks_like_key(column: ColumnStats, rows: int) -> bool:
    return (
        column.family in _KEY_FAMILIES
        and rows >= 2
        and column.values == rows
        and column.distinct == rows
        and _KEY_NAME.search(column.name) is not None
    )


def _column_rules(column: ColumnStats, rows: int, identifiers: set[str]) -> list[Suggestion]:
    found: list[Suggestion | None] = [_missing_percent(column, rows)]
    if column.values == 0:
        return [s for s in found if s is not None]
    if column.family in NUMERIC and column.name not in identifiers:
        found.append(_numeric_between(column))
    elif column.family in TEMPORAL:
        found.append(_earliest(column))
    elif column.family == "string":
        found += _text_rules(column)
    return [s for s in found if s is not None]


def _missing_percent(column: ColumnStats, rows: int) -> Suggestion | None:
    missing = rows - column.values
    if not 0 < missing < rows:
        return None
    percent = 100 * missing / rows
    ceiling = missing_ceiling(percent)
    if ceiling is None:
        return None
    return Suggestion(
        "missing_percent",
        (column.name,),
        {"column": column.name, "max": _number(ceiling)},
        f"{percent:.3g}% missing now ({missing:,} of {rows:,} rows), plus a margin",
    )


def _numeric_between(column: ColumnStats) -> Suggestion | None:
    if column.low is None or column.high is None:
        return None
    low, high = _plain(column.low), _plain(column.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None  # NaN or infinity: no range to widen
    bounds = numeric_bounds(low, high, integral=column.family == "integer")
    note = "; none negative, so min 0" if bounds.clipped_at_zero else ""
    return Suggestion(
        "between",
        (column.name,),
        {"column": column.name, "min": bounds.low, "max": bounds.high},
        f"values {_show(low)} to {_show(high)}, widened by 10% of the range and rounded "
        f"outward{note}",
    )


def _earliest(column: ColumnStats) -> Suggestion | None:
    try:
        earliest = as_utc(column.low)
    except (TypeError, ValueError):
        return None
    shown = f"{earliest:%Y-%m-%d}"
    return Suggestion(
        "between",
        (column.name,),
        {"column": column.name, "min": start_of_year(earliest)},
        f"earliest {shown}, bound at the start of that year; no upper bound (new data is newer)",
    )


def _text_rules(column: ColumnStats) -> list[Suggestion]:
    categories = _in_set(column)
    if categories is not None:
        return [categories]  # a closed list already fixes the shape and length
    found: list[Suggestion | None] = []
    shape = _regex(column)
    if shape is not None:
        found.append(shape)
    if shape is None or not _fixes_width(shape.params["pattern"]):
        found.append(_length(column))
    return [s for s in found if s is not None]


def _fixes_width(pattern: str) -> bool:
    """Whether every match of the pattern has the same length (no ``+``, ``*``, ``?``, ``{m,}``)."""
    return re.search(r"[+*?]|\{\d*,", pattern) is None


def _in_set(column: ColumnStats) -> Suggestion | None:
    counts = column.frequencies
    if not counts or min(counts.values()) < MIN_CATEGORY_ROWS:
        return None
    values = sorted(counts, key=lambda v: (-counts[v], v))
    return Suggestion(
        "in_set",
        (column.name,),
        {"column": column.name, "values": values},
        f"{len(values)} distinct values in {column.values:,} rows, each seen at least "
        f"{min(counts.values()):,} times",
    )


def _regex(column: ColumnStats) -> Suggestion | None:
    shapes = [p for p in column.patterns if not p.gate_only]
    if column.values < MIN_VALUES or not shapes:
        return None
    pattern = shapes[0]
    regex, width = pattern.regex, ""
    if pattern.one_class and column.shortest is not None and column.shortest == column.longest:
        regex, width = pattern.with_width(column.shortest), f", {column.shortest} characters"
    return Suggestion(
        "regex",
        (column.name,),
        {"column": column.name, "pattern": regex},
        f"all {column.values:,} values are {pattern.description}{width}",
    )


def _length(column: ColumnStats) -> Suggestion | None:
    shortest, longest = column.shortest, column.longest
    if (
        column.values < MIN_VALUES
        or shortest is None
        or longest is None
        or longest > MAX_CODE_LENGTH
        or longest - shortest > MAX_CODE_SPREAD
        or all(p.name != TOKEN for p in column.patterns)  # codes have no spaces
    ):
        return None
    seen = (
        f"every value has {shortest} characters"
        if shortest == longest
        else f"values have {shortest} to {longest} characters"
    )
    return Suggestion(
        "length",
        (column.name,),
        {"column": column.name, "min": shortest, "max": longest},
        f"{seen} ({column.values:,} values)",
    )


def _freshness(stats: DatasetStats, as_of: datetime) -> list[Suggestion]:
    """For every timestamp column (for dates only when there is no timestamp column)."""
    stamps = [c for c in stats.columns if c.family == "timestamp" and c.high is not None]
    if not stamps:
        stamps = [c for c in stats.columns if c.family == "date" and c.high is not None]
    found = []
    for column in stamps:
        try:
            lag = as_of - as_utc(column.high)
        except (TypeError, ValueError):
            continue
        age = max_age(lag) if lag.total_seconds() >= 0 else None  # future values: no feed
        if age is None:
            continue
        found.append(
            Suggestion(
                "freshness",
                (column.name,),
                {"column": column.name, "max_age": format_age(age)},
                f"newest value {format_duration(lag)} old at {as_of:%Y-%m-%d %H:%M} UTC; "
                "limit: twice that, at least a day, rounded up",
            )
        )
    return found


def _plain(value: Any) -> int | float:
    """Engine numbers (int, float, Decimal) as int or float."""
    return value if isinstance(value, int) else float(value)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _show(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{Decimal(str(value)).normalize():,f}"
