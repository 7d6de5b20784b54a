"""Expected bands for a metric from its history: robust trend + weekly season + MAD.

The baseline never includes the point under test, and callers leave out points that
were flagged as incidents (unless accepted), so one bad day cannot widen the band for
the weeks after it. Everything is robust (Theil-Sen slope, medians, MAD) so a few
outliers in the history do not move the expectation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Band", "NotEnoughHistory", "expected_band", "sensitivity_factor"]

_SENSITIVITY = {"low": 6.0, "medium": 4.5, "high": 3.0}
_MAD_TO_SIGMA = 1.4826
_LOOKBACK_POINTS = 84  # twelve weeks of daily points


class NotEnoughHistory(Exception):
    def __init__(self, have: int, need: int) -> None:
        super().__init__(f"not enough history: {have} of {need} points")
        self.have = have
        self.need = need


@dataclass(frozen=True)
class Band:
    expected: float
    low: float
    high: float
    points: int  # history points the baseline used
    since: datetime
    seasonal: bool
    slope_per_day: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def describe(self) -> str:
        season = ", weekly season" if self.seasonal else ""
        return (
            f"expected {_fmt(self.expected)} in [{_fmt(self.low)}, {_fmt(self.high)}] "
            f"from {self.points} points since {self.since:%Y-%m-%d}{season}"
        )


def sensitivity_factor(sensitivity: str | float) -> float:
    """How many robust standard deviations the band spans on each side."""
    if isinstance(sensitivity, str):
        return _SENSITIVITY[sensitivity]
    return float(sensitivity)


def expected_band(
    history: Sequence[tuple[datetime, float]],
    at: datetime,
    *,
    sensitivity: str | float = "medium",
    min_history: int = 7,
) -> Band:
    """The band a value at ``at`` is expected in, from points strictly before ``at``."""
    import numpy as np

    points = sorted((t, v) for t, v in history if t < at and v is not None and math.isfinite(v))
    points = points[-_LOOKBACK_POINTS:]
    if len(points) < min_history:
        raise NotEnoughHistory(len(points), min_history)
    origin = points[0][0]
    days = np.array([(t - origin).total_seconds() / 86400 for t, _ in points])
    values = np.array([v for _, v in points], dtype=float)
    target_day = (at - origin).total_seconds() / 86400

    slope, intercept = _robust_trend(days, values)
    residuals = values - (intercept + slope * days)
    weekdays = np.array([t.weekday() for t, _ in points])
    season = _weekly_season(residuals, weekdays, days)
    if season is not None and not _season_helps(residuals, season[weekdays]):
        season = None  # weekday medians of pure noise would only add noise
    remainder = residuals - (season[weekdays] if season is not None else 0.0)
    center = float(np.median(remainder))
    spread = _MAD_TO_SIGMA * float(np.median(np.abs(remainder - center)))
    level = float(np.median(np.abs(values)))
    # A perfectly flat history has zero spread: allow a small relative wobble instead
    # of flagging the tiniest change.
    spread = max(spread, 0.01 * level, 1e-9)
    expected = intercept + slope * target_day + center
    if season is not None:
        expected += float(season[at.weekday()])
    width = sensitivity_factor(sensitivity) * spread
    return Band(
        expected, expected - width, expected + width, len(points), origin, season is not None, slope
    )


def _robust_trend(days: Any, values: Any) -> tuple[float, float]:
    """Theil-Sen slope and intercept; no trend from fewer than 10 points."""
    import numpy as np
    from scipy.stats import theilslopes

    x = np.asarray(days)
    y = np.asarray(values)
    if len(x) < 10 or float(np.ptp(x)) < 7:
        return 0.0, float(np.median(y))
    result = theilslopes(y, x)
    return float(result.slope), float(result.intercept)


def _weekly_season(residuals: Any, weekdays: Any, days: Any) -> Any:
    """Median residual per weekday, when at least two weeks cover every weekday."""
    import numpy as np

    r = np.asarray(residuals)
    w = np.asarray(weekdays)
    if float(np.ptp(np.asarray(days))) < 14:
        return None
    season = np.zeros(7)
    for day in range(7):
        chosen = r[w == day]
        if len(chosen) < 2:
            return None
        season[day] = float(np.median(chosen))
    return season - float(np.median(season))


def _season_helps(residuals: Any, seasonal: Any) -> bool:
    """A weekly season is kept only when it explains a good part of the spread."""
    import numpy as np

    r = np.asarray(residuals)
    without = float(np.median(np.abs(r - np.median(r))))
    remainder = r - np.asarray(seasonal)
    with_season = float(np.median(np.abs(remainder - np.median(remainder))))
    return with_season < 0.7 * without


def _fmt(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
