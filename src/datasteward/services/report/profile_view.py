"""The profile of a dataset as the report draws it, read from ``profile --format json``.

The report takes the profile service's JSON shape (DESIGN.md section 4) as its input, so
a profile saved earlier renders the same as a fresh one. Only the documented keys are
required; bins are ``{lower, upper, count}`` (other edge names and ``[low, high, count]``
triples are read too), a temporal column's ``rows_per_day`` becomes its histogram, and
the heatmap shows Pearson correlations (any method when the profile names none).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["Bin", "ColumnView", "ProfileView", "read_profile"]

_LOW_KEYS = ("low", "start", "lower", "from", "bin_start", "min", "left")
_HIGH_KEYS = ("high", "end", "upper", "to", "bin_end", "max", "right")
_PAIR_KEYS = (("a", "b"), ("x", "y"), ("left", "right"), ("column_a", "column_b"))
_PAIR_VALUE_KEYS = ("value", "r", "pearson", "correlation", "coefficient", "spearman")
_HEATMAP_METHOD = "pearson"
_SHOWN_QUANTILES = {"p25": "p25", "p50": "median", "p75": "p75"}
_DAY = 86_400.0


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class ColumnView:
    name: str
    type: str
    kind: str  # numeric, boolean, string, temporal, time or other
    missing_count: int | None
    missing_percent: float | None
    distinct_count: int | None
    min: Any
    max: Any
    mean: float | None
    stddev: float | None
    quantiles: dict[str, float]
    bins: list[Bin]
    temporal: bool  # bin edges are epoch seconds
    top_values: list[tuple[str, int]]

    @property
    def stats(self) -> list[tuple[str, Any]]:
        """Label and value of each statistic the profile has, in reading order."""
        found: list[tuple[str, Any]] = [
            ("missing", self.missing_percent),
            ("distinct", self.distinct_count),
            ("min", self.min),
            ("max", self.max),
            ("mean", self.mean),
            ("std dev", self.stddev),
        ]
        found += [
            (label, self.quantiles[key])
            for key, label in _SHOWN_QUANTILES.items()
            if key in self.quantiles
        ]
        return [(label, value) for label, value in found if value is not None]


@dataclass(frozen=True)
class ProfileView:
    dataset: str
    row_count: int | None
    columns: list[ColumnView]
    correlation_columns: list[str] = field(default_factory=list)
    correlations: list[list[float | None]] = field(default_factory=list)
    candidate_keys: list[list[str]] = field(default_factory=list)


def read_profile(profile: Mapping[str, Any]) -> ProfileView:
    """The report's view of a ``profile --format json`` object."""
    columns = [_column(c) for c in profile.get("columns") or []]
    names, matrix = _correlations(profile.get("correlations"))
    return ProfileView(
        dataset=str(profile.get("dataset", "")),
        row_count=_int(profile.get("row_count")),
        columns=columns,
        correlation_columns=names,
        correlations=matrix,
        candidate_keys=_keys(profile.get("candidate_keys")),
    )


def _column(data: Mapping[str, Any]) -> ColumnView:
    bins, temporal = _bins(data.get("histogram"))
    if not bins:
        bins, temporal = _daily(data.get("rows_per_day"))
    quantiles = data.get("quantiles") or {}
    return ColumnView(
        name=str(data.get("name", "")),
        type=str(data.get("type", "")),
        kind=str(data.get("kind") or ("temporal" if temporal else "")),
        missing_count=_int(data.get("missing_count")),
        missing_percent=_float(data.get("missing_percent")),
        distinct_count=_int(data.get("distinct_count")),
        min=data.get("min"),
        max=data.get("max"),
        mean=_float(data.get("mean")),
        stddev=_float(data.get("stddev")),
        quantiles={
            str(k): v
            for k, v in ((k, _float(v)) for k, v in dict(quantiles).items())
            if v is not None
        },
        bins=bins,
        temporal=temporal,
        top_values=[
            (_label(item.get("value")), _int(item.get("count")) or 0)
            for item in data.get("top_values") or []
            if isinstance(item, Mapping)
        ],
    )


def _bins(histogram: Any) -> tuple[list[Bin], bool]:
    if isinstance(histogram, Mapping) and "edges" in histogram:
        edges, counts = list(histogram["edges"]), list(histogram.get("counts") or [])
        histogram = [[lo, hi, n] for lo, hi, n in zip(edges, edges[1:], counts, strict=False)]
    bins: list[Bin] = []
    temporal = False
    for item in histogram or []:
        if isinstance(item, Mapping):
            low, high = _first(item, _LOW_KEYS), _first(item, _HIGH_KEYS)
            count = item.get("count")
        elif isinstance(item, Sequence) and len(item) == 3:
            low, high, count = item
        else:
            continue
        temporal = temporal or isinstance(low, (str, datetime))
        lo, hi = _edge(low), _edge(high)
        if lo is not None and hi is not None:
            bins.append(Bin(lo, hi, _int(count) or 0))
    return bins, temporal


def _daily(data: Any) -> tuple[list[Bin], bool]:
    """Rows per day of a temporal column as one bin per day."""
    series = data.get("series") if isinstance(data, Mapping) else None
    bins = []
    for item in series or []:
        start = _edge(item.get("day")) if isinstance(item, Mapping) else None
        if start is not None:
            bins.append(Bin(start, start + _DAY, _int(item.get("count")) or 0))
    return bins, bool(bins)


def _correlations(data: Any) -> tuple[list[str], list[list[float | None]]]:
    if isinstance(data, Mapping) and "columns" in data and "matrix" in data:
        names = [str(n) for n in data["columns"]]
        return names, [[_float(v) for v in row] for row in data["matrix"]]
    items = [item for item in data or [] if isinstance(item, Mapping)]
    if any(item.get("method") == _HEATMAP_METHOD for item in items):
        items = [item for item in items if item.get("method") == _HEATMAP_METHOD]
    pairs: dict[tuple[str, str], float | None] = {}
    for item in items:
        pair = _pair(item)
        if pair is not None:
            pairs[pair] = _float(_first(item, _PAIR_VALUE_KEYS))
    names = list(dict.fromkeys(name for pair in pairs for name in pair))
    matrix: list[list[float | None]] = [
        [1.0 if a == b else pairs.get((a, b), pairs.get((b, a))) for b in names] for a in names
    ]
    return names, matrix


def _pair(item: Mapping[str, Any]) -> tuple[str, str] | None:
    columns = item.get("columns")
    if isinstance(columns, Sequence) and not isinstance(columns, str) and len(columns) == 2:
        return str(columns[0]), str(columns[1])
    for a, b in _PAIR_KEYS:
        if a in item and b in item:
            return str(item[a]), str(item[b])
    return None


def _keys(data: Any) -> list[list[str]]:
    keys: list[list[str]] = []
    for item in data or []:
        if isinstance(item, str):
            keys.append([item])
        elif isinstance(item, Mapping):
            keys.append([str(c) for c in item.get("columns") or []])
        elif isinstance(item, Sequence):
            keys.append([str(c) for c in item])
    return [k for k in keys if k]


def _first(item: Mapping[str, Any], keys: Sequence[str]) -> Any:
    return next((item[k] for k in keys if k in item), None)


def _edge(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return _float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return _float(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _float(value)
    return None if number is None else int(number)


def _label(value: Any) -> str:
    return "NULL" if value is None else str(value)
