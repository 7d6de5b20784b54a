"""What a profile is: per-column statistics and cross-column findings, as JSON (DESIGN.md §4).

The JSON keys are a contract (``steward profile --format json``, documented in the
README): keys may be added, never renamed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from datasteward.errors import UsageError
from datasteward.services.json_values import jsonable

__all__ = [
    "QUANTILES",
    "Bin",
    "CandidateKey",
    "ColumnProfile",
    "Correlation",
    "DailyRows",
    "LengthStats",
    "Profile",
    "SampleSize",
    "ValueCount",
]

#: The quantiles every numeric column reports, by JSON key.
QUANTILES: tuple[tuple[str, float], ...] = (
    ("p1", 0.01),
    ("p5", 0.05),
    ("p25", 0.25),
    ("p50", 0.5),
    ("p75", 0.75),
    ("p95", 0.95),
    ("p99", 0.99),
)


@dataclass(frozen=True)
class SampleSize:
    """``--sample 10000`` (rows) or ``--sample 10%`` (a share of the rows)."""

    rows: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str) -> SampleSize:
        cleaned = text.strip().replace("_", "").replace(",", "")
        hint = "give a number of rows (10000) or a percentage (10%)"
        if match := re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", cleaned):
            percent = float(match.group(1))
            if not 0 < percent <= 100:
                raise UsageError(f"--sample {text}: the percentage must be in (0, 100]", hint=hint)
            return cls(percent=percent)
        if cleaned.isdigit() and int(cleaned) > 0:
            return cls(rows=int(cleaned))
        raise UsageError(f"--sample {text!r} is not a row count or a percentage", hint=hint)

    def rows_of(self, total: int) -> int:
        """How many rows to draw from a table of ``total`` rows."""
        if self.rows is not None:
            return min(self.rows, total)
        assert self.percent is not None
        return min(total, math.ceil(total * self.percent / 100))

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else f"{self.rows} rows"


@dataclass(frozen=True)
class Bin:
    """A histogram bar: values in ``[lower, upper)`` (the last bar includes its upper edge)."""

    lower: float
    upper: float
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"lower": jsonable(self.lower), "upper": jsonable(self.upper), "count": self.count}


@dataclass(frozen=True)
class ValueCount:
    value: Any
    count: int


@dataclass(frozen=True)
class LengthStats:
    """Lengths of a text column's values, in characters."""

    min: int | None
    max: int | None
    mean: float | None

    def to_json(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max, "mean": _rounded(self.mean)}


@dataclass(frozen=True)
class DailyRows:
    """Rows per calendar day of a date/timestamp column (days without rows are not listed)."""

    series: list[ValueCount]  # (day, rows), oldest first

    @property
    def days(self) -> int:
        return len(self.series)

    def to_json(self) -> dict[str, Any]:
        counts = [item.count for item in self.series]
        return {
            "days": self.days,
            "min": min(counts, default=None),
            "mean": _rounded(sum(counts) / len(counts)) if counts else None,
            "max": max(counts, default=None),
            "series": [{"day": jsonable(i.value), "count": i.count} for i in self.series],
        }


@dataclass(frozen=True)
class ColumnProfile:
    """Everything measured about one column; fields that do not apply stay empty."""

    name: str
    type: str  # the engine's own type name
    kind: str  # numeric, boolean, string, temporal, time or other
    row_count: int
    missing_count: int
    distinct_count: int | None
    distinct_exact: bool = True  # False: the engine's sketch estimated it (--approx)
    min: Any = None
    max: Any = None
    mean: float | None = None
    stddev: float | None = None
    quantiles: dict[str, float | None] = field(default_factory=dict)
    histogram: list[Bin] = field(default_factory=list)
    top_values: list[ValueCount] = field(default_factory=list)
    lengths: LengthStats | None = None
    patterns: list[ValueCount] = field(default_factory=list)
    patterns_sample_rows: int | None = None  # patterns counted in a sample of this many rows
    rows_per_day: DailyRows | None = None

    @property
    def present_count(self) -> int:
        return self.row_count - self.missing_count

    @property
    def missing_percent(self) -> float:
        return 100.0 * self.missing_count / self.row_count if self.row_count else 0.0

    @property
    def distinct_percent(self) -> float | None:
        """Distinct values per non-missing value, in percent."""
        if self.distinct_count is None or not self.present_count:
            return None
        return min(100.0, 100.0 * self.distinct_count / self.present_count)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "kind": self.kind,
            "missing_count": self.missing_count,
            "missing_percent": _rounded(self.missing_percent),
            "distinct_count": self.distinct_count,
            "distinct_exact": self.distinct_exact,
            "distinct_percent": _rounded(self.distinct_percent),
            "min": jsonable(self.min),
            "max": jsonable(self.max),
            "mean": _rounded(self.mean),
            "stddev": _rounded(self.stddev),
            "quantiles": {key: _rounded(self.quantiles.get(key)) for key, _ in QUANTILES},
            "histogram": [b.to_json() for b in self.histogram],
            "top_values": [{"value": jsonable(v.value), "count": v.count} for v in self.top_values],
            "length": self.lengths.to_json() if self.lengths else None,
            "patterns": [{"pattern": p.value, "count": p.count} for p in self.patterns],
            "patterns_sample_rows": self.patterns_sample_rows,
            "rows_per_day": self.rows_per_day.to_json() if self.rows_per_day else None,
        }


@dataclass(frozen=True)
class Correlation:
    """``pearson`` and ``spearman`` (-1..1) between numbers; ``cramers_v`` (0..1) between categories."""

    columns: tuple[str, str]
    method: str
    value: float | None  # None: undefined (a constant column, too few rows)

    def to_json(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "method": self.method, "value": _rounded(self.value)}


@dataclass(frozen=True)
class CandidateKey:
    """Columns whose combined values are unique and never missing."""

    columns: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"columns": list(self.columns)}


@dataclass(frozen=True)
class Profile:
    dataset: str
    engine: str  # the dialect the queries ran in
    row_count: int  # rows profiled (the sample's size with --sample)
    columns: list[ColumnProfile]
    correlations: list[Correlation]
    candidate_keys: list[CandidateKey]
    seconds: float
    distinct_error: float | None = None  # typical relative error of approximate distinct counts
    sample: SampleSize | None = None
    total_rows: int | None = None  # rows in the whole dataset (set with --sample)
    notes: list[str] = field(default_factory=list)

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)

    def correlation(self, a: str, b: str, method: str) -> float | None:
        """The correlation of two columns by a method (KeyError if it was not computed)."""
        for item in self.correlations:
            if item.method == method and set(item.columns) == {a, b}:
                return item.value
        raise KeyError((a, b, method))

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "engine": self.engine,
            "row_count": self.row_count,
            "sample": None
            if self.sample is None
            else {
                "requested": str(self.sample),
                "rows": self.row_count,
                "of_rows": self.total_rows,
            },
            "distinct": {
                "method": "exact" if self.distinct_error is None else "approximate",
                "relative_error": self.distinct_error,
            },
            "seconds": round(self.seconds, 3),
            "columns": [c.to_json() for c in self.columns],
            "correlations": [c.to_json() for c in self.correlations],
            "candidate_keys": [k.to_json() for k in self.candidate_keys],
            "notes": list(self.notes),
        }


def _rounded(value: float | None, digits: int = 10) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")
