"""The little arithmetic done in Python on what the engine aggregated."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["cramers_v", "interpolate_quantiles", "quantile_positions"]


def quantile_positions(count: int, fractions: Sequence[float]) -> list[int]:
    """The 1-based sorted positions linear interpolation needs for each quantile."""
    positions = []
    for fraction in fractions:
        h = (count - 1) * fraction
        positions += [math.floor(h) + 1, math.ceil(h) + 1]
    return positions


def interpolate_quantiles(
    count: int, fractions: Sequence[float], values: Mapping[int, float]
) -> list[float | None]:
    """Continuous quantiles (pandas' and quantile_cont's 'linear') from sorted values."""
    result: list[float | None] = []
    for fraction in fractions:
        h = (count - 1) * fraction
        low, high = values.get(math.floor(h) + 1), values.get(math.ceil(h) + 1)
        if low is None or high is None:
            result.append(None)
        else:
            result.append(low + (h - math.floor(h)) * (high - low))
    return result


def cramers_v(cells: Sequence[tuple[str, str, int]]) -> float | None:
    """Cramér's V (0..1, no bias correction) of a contingency table given as its cells.

    With row and column totals r and c, chi² = n · (Σ O² / (r·c) - 1), so only the
    non-empty cells are needed.
    """
    rows: dict[str, int] = {}
    columns: dict[str, int] = {}
    for a, b, n in cells:
        rows[a] = rows.get(a, 0) + n
        columns[b] = columns.get(b, 0) + n
    total = sum(rows.values())
    smaller = min(len(rows), len(columns))
    if total == 0 or smaller < 2:
        return None
    chi2 = total * (sum(n * n / (rows[a] * columns[b]) for a, b, n in cells) - 1)
    return math.sqrt(max(chi2, 0.0) / (total * (smaller - 1)))
