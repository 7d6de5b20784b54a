"""The trend of a metric over time: a Theil-Sen slope per day with its confidence interval.

Theil-Sen (the median of the slopes between every pair of points) is what the anomaly
detector uses too: one bad day or a backfilled outlier barely moves it, where a
least-squares line would tilt. Its confidence interval comes from the distribution of
those pairwise slopes (Sen 1968), so it needs no normality assumption either.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["MIN_POINTS", "SeriesTrend", "Trend", "fit_trend", "metric_series", "series_trends"]

MIN_POINTS = 3  # fewer points give no interval worth printing
_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Trend:
    """A fitted straight line: ``value ≈ intercept + slope_per_day * days since start``."""

    slope_per_day: float
    low: float  # the confidence interval of the slope, per day
    high: float
    confidence: float  # e.g. 0.95
    intercept: float  # the fitted value at ``start``
    start: datetime
    end: datetime
    points: int

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero: the metric really moves."""
        return self.low > 0 or self.high < 0

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / _SECONDS_PER_DAY

    def value_at(self, moment: datetime) -> float:
        """The fitted value at ``moment``."""
        elapsed = (moment - self.start).total_seconds() / _SECONDS_PER_DAY
        return self.intercept + self.slope_per_day * elapsed

    def describe(self) -> str:
        """One line for people, e.g. ``+31.2 per day (95% CI +28.0 to +34.5)``."""
        if self.low == self.high == self.slope_per_day == 0:
            return "0 per day (no trend)"
        interval = f"{self.confidence:.0%} CI {_signed(self.low)} to {_signed(self.high)}"
        verdict = "" if self.significant else "; no clear trend"
        return f"{_signed(self.slope_per_day)} per day ({interval}{verdict})"

    def to_json(self) -> dict[str, object]:
        return {
            "slope_per_day": self.slope_per_day,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "intercept": self.intercept,
            "start": self.start.isoformat().replace("+00:00", "Z"),
            "end": self.end.isoformat().replace("+00:00", "Z"),
            "points": self.points,
            "significant": self.significant,
            "method": "theil-sen",
        }


def fit_trend(points: Sequence[tuple[datetime, float]], confidence: float = 0.95) -> Trend | None:
    """Fit a Theil-Sen line to ``(time, value)`` points; None when there is too little data.

    Points without a value (NaN) are left out; at least :data:`MIN_POINTS` points spread
    over more than one moment are needed.
    """
    from scipy.stats import theilslopes

    usable = sorted((t, float(v)) for t, v in points if math.isfinite(v))
    if len(usable) < MIN_POINTS or usable[0][0] == usable[-1][0]:
        return None
    start = usable[0][0]
    days = [(t - start).total_seconds() / _SECONDS_PER_DAY for t, _ in usable]
    values = [v for _, v in usable]
    fit = theilslopes(values, days, alpha=confidence, method="joint")
    return Trend(
        slope_per_day=float(fit.slope),
        low=float(fit.low_slope),
        high=float(fit.high_slope),
        confidence=confidence,
        intercept=float(fit.intercept),
        start=start,
        end=usable[-1][0],
        points=len(usable),
    )


def metric_series(
    rows: Iterable[tuple[datetime, str, str | None, float | None]],
) -> dict[tuple[str, str | None], list[tuple[datetime, float]]]:
    """Group ``(as_of, metric, column, value)`` rows into one series per metric and column.

    A logical time recorded twice (a replayed run) keeps the first row given, so pass rows
    newest-recorded first, as the store returns them. Series come out oldest first.
    """
    series: dict[tuple[str, str | None], dict[datetime, float]] = {}
    for as_of, name, column, value in rows:
        if value is None:
            continue
        series.setdefault((name, column), {}).setdefault(as_of, float(value))
    return {key: sorted(values.items()) for key, values in series.items()}


@dataclass(frozen=True)
class SeriesTrend:
    """One metric of one column over time, with its fitted trend and flagged points."""

    name: str
    column: str | None
    points: list[tuple[datetime, float]]  # oldest first
    trend: Trend | None
    anomalies: list[datetime]

    @property
    def label(self) -> str:
        return self.name if self.column is None else f"{self.name}({self.column})"

    def to_json(self) -> dict[str, object]:
        return {
            "metric": self.name,
            "column": self.column,
            "points": len(self.points),
            "trend": None if self.trend is None else self.trend.to_json(),
            "anomalies": [t.isoformat().replace("+00:00", "Z") for t in self.anomalies],
        }


def series_trends(
    rows: Iterable[tuple[datetime, str, str | None, float | None]],
    anomalies: Iterable[tuple[str, str | None, datetime]] = (),
) -> list[SeriesTrend]:
    """A fitted trend per metric and column of ``rows`` (see :func:`metric_series`);
    ``anomalies`` are ``(metric, column, as_of)`` points flagged as incidents."""
    flagged: dict[tuple[str, str | None], set[datetime]] = {}
    for name, column, as_of in anomalies:
        flagged.setdefault((name, column), set()).add(as_of)
    found = []
    for (name, column), points in sorted(
        metric_series(rows).items(), key=lambda item: (item[0][1] or "", item[0][0])
    ):
        shown = {t for t, _ in points}
        marked = sorted(flagged.get((name, column), set()) & shown)
        found.append(SeriesTrend(name, column, points, fit_trend(points), marked))
    return found


def _signed(value: float) -> str:
    if value == 0:
        return "0"
    size = abs(value)
    if size >= 100:
        return f"{value:+,.0f}"
    if size >= 1:
        return f"{value:+.2f}"
    return f"{value:+.3g}"
