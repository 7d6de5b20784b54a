"""Expected bands for a metric from its history: robust trend + weekly season + spread.

The baseline never includes the point under test, and callers leave out points that
were flagged as incidents (unless accepted), so one bad day cannot widen the band for
the weeks after it. Everything is robust (Theil-Sen slopes, medians, the Qn scale) so a
few outliers in the history do not move the expectation.

Because flagged points leave the history, a band that is too narrow never recovers:
every later point is flagged and the baseline freezes (bench/anomaly_eval.py measured
11 % false alarms, weekends flagged forever, when bands came from in-sample residuals).
So the band is built to be honest about what the history can tell:

* The trend of a seasonal fit comes from same-weekday pairs only, so a partial week at
  either end of the history cannot tilt it.
* The season is kept when its leave-one-out errors are clearly smaller than the plain
  fit's; the width then comes from those out-of-sample errors, not from residuals the
  season was fitted to.
* Positive metrics well away from zero are also fitted on a log scale (a season and a
  trend that scale with the level); the scale whose relative errors are smaller wins.
  The band stays symmetric in the metric's own units.
* While a season cannot be estimated yet (under two weeks, or a weekday seen once),
  every value already seen counts as plausible, so the second week's weekend is not
  flagged (and excluded) before a season could learn it.
* The width grows for short histories (uncertain spread and level) and with the
  distance the trend is extrapolated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Band", "NotEnoughHistory", "expected_band", "sensitivity_factor"]

# Half-widths in standard deviations of the out-of-sample error. On noise with moderately
# heavy tails "medium" leaves the band on about 0.2 % of days (bench/anomaly_eval.py).
_SENSITIVITY = {"low": 6.0, "medium": 4.0, "high": 3.0}
_QN_TO_SIGMA = 2.2219
_MEAN_ABS_TO_SIGMA = 1.2533
_REWEIGHT_CUT = 2.5  # in Qn units
_REWEIGHT_CONSISTENCY = 0.9546  # sd of a normal cut at 2.5 sd
_LOOKBACK_POINTS = 84  # twelve weeks of daily points
_MIN_RELATIVE_SPREAD = 0.01  # a flat history still allows a 1 % wobble per sigma
_SEASON_GAIN = 0.9  # the season must cut the out-of-sample error by 10 %
_LOG_SCALE_FLOOR = 0.3  # log scale when every value is at least 30 % of the median


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


@dataclass(frozen=True)
class _Fit:
    """A model of the history: its prediction for the target, and its errors."""

    prediction: float
    slope: float
    errors: Any  # out-of-sample (seasonal) or plain residuals of the history points
    seasonal: bool
    leverage: float  # how far the trend is extrapolated, relative to the history's spread


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
    weekdays = np.array([t.weekday() for t, _ in points])
    target = ((at - origin).total_seconds() / 86400, at.weekday())
    model = _model(days, values, weekdays, target, log_scale=False)
    if _use_log_scale(values):
        multiplicative = _model(days, np.log(values), weekdays, target, log_scale=True)
        if multiplicative.relative_error < model.relative_error:
            model = multiplicative
    center, deviations = model.center, model.deviations
    level = abs(center) if model.log_scale else float(np.median(np.abs(values)))
    spread = max(_spread(deviations), _MIN_RELATIVE_SPREAD * level, 1e-9)
    n = len(points)
    # The spread is itself estimated from n points (1 + 2/n); the prediction adds the
    # error of the level, a median (1.6/n), and of the extrapolated trend (Theil-Sen:
    # about 1.2 times the variance of least squares).
    inflation = (1 + 2 / n) * math.sqrt(1 + 1.6 / n + 1.2 * model.leverage)
    width = sensitivity_factor(sensitivity) * spread * inflation
    low, high = center - width, center + width
    if not model.season_known:
        # No season yet: what was already seen is plausible (a weekend, say).
        low = min(low, center + float(deviations.min()) - width)
        high = max(high, center + float(deviations.max()) + width)
    return Band(center, low, high, n, origin, model.seasonal, model.slope)


@dataclass(frozen=True)
class _Model:
    """The chosen fit on one scale, in the metric's own units."""

    center: float
    deviations: Any  # errors of the history points around the center, today's units
    slope: float  # per day, today's units
    seasonal: bool
    season_known: bool  # whether a season could be estimated at all
    leverage: float
    log_scale: bool
    relative_error: float  # typical error relative to the level, to compare scales


def _model(
    days: Any, y: Any, weekdays: Any, target: tuple[float, int], *, log_scale: bool
) -> _Model:
    """Plain or seasonal fit of ``y``; the season only when it clearly helps."""
    import numpy as np

    plain = _plain_fit(days, y, target)
    seasonal = _seasonal_fit(days, y, weekdays, target)
    fit = plain
    if seasonal is not None and _scale(seasonal.errors) < _SEASON_GAIN * _scale(plain.errors):
        fit = seasonal
    middle = float(np.median(fit.errors))
    center, deviations, slope = fit.prediction + middle, fit.errors - middle, fit.slope
    if log_scale:
        # Multiplicative model, but a band symmetric in the metric's own units: relative
        # errors applied to today's expectation.
        relative = np.expm1(deviations)
        center = math.exp(center)
        deviations, slope = relative * center, slope * center
        error = _scale(relative)
    else:
        fitted = np.abs(y - fit.errors)
        error = _scale(fit.errors / fitted) if bool(np.all(fitted > 0)) else math.inf
    known = seasonal is not None
    return _Model(center, deviations, slope, fit.seasonal, known, fit.leverage, log_scale, error)


def _use_log_scale(values: Any) -> bool:
    """Multiplicative model for positive metrics well away from zero (not sparse counts)."""
    import numpy as np

    median = float(np.median(values))
    return median > 0 and float(np.min(values)) >= _LOG_SCALE_FLOOR * median


def _plain_fit(days: Any, y: Any, target: tuple[float, int]) -> _Fit:
    """Level and Theil-Sen trend (from 10 points over a week), no season."""
    import numpy as np

    slope = 0.0
    if len(days) >= 10 and float(np.ptp(days)) >= 7:
        slope = _theil_sen(days, y, None)
    residuals = y - slope * days
    level = float(np.median(residuals))
    leverage = _leverage(days, target[0]) if slope else 0.0
    return _Fit(level + slope * target[0], slope, residuals - level, False, leverage)


def _seasonal_fit(days: Any, y: Any, weekdays: Any, target: tuple[float, int]) -> _Fit | None:
    """Weekday medians after a same-weekday Theil-Sen trend; None when not estimable.

    Estimable once the history spans two weeks and every weekday in it (and the
    target's) has at least two points. The errors are leave-one-out: each point
    against the median of the other points of its weekday.
    """
    import numpy as np

    if float(np.ptp(days)) < 14:
        return None
    groups = {int(d): np.flatnonzero(weekdays == d) for d in np.unique(weekdays)}
    if target[1] not in groups or min(len(g) for g in groups.values()) < 2:
        return None
    slope = _theil_sen(days, y, weekdays) if float(np.ptp(days)) >= 21 else 0.0
    residuals = y - slope * days
    errors = np.empty(len(y))
    for members in groups.values():
        for position, index in enumerate(members):
            others = np.delete(members, position)
            errors[index] = residuals[index] - float(np.median(residuals[others]))
    prediction = float(np.median(residuals[groups[target[1]]])) + slope * target[0]
    leverage = _leverage(days, target[0]) if slope else 0.0
    return _Fit(prediction, slope, errors, True, leverage)


def _theil_sen(days: Any, y: Any, weekdays: Any) -> float:
    """Median of pairwise slopes; with ``weekdays``, of same-weekday pairs only."""
    import numpy as np

    first, second = np.triu_indices(len(days), k=1)
    if weekdays is not None:
        same = weekdays[first] == weekdays[second]
        first, second = first[same], second[same]
    gaps = days[second] - days[first]
    kept = gaps > 0
    if not kept.any():
        return 0.0
    return float(np.median((y[second][kept] - y[first][kept]) / gaps[kept]))


def _leverage(days: Any, target_day: float) -> float:
    import numpy as np

    spread = float(np.sum((days - days.mean()) ** 2))
    return (target_day - float(days.mean())) ** 2 / spread if spread > 0 else 0.0


def _spread(errors: Any) -> float:
    """Robust standard deviation of the errors.

    Rousseeuw-Croux Qn (as robust as the MAD, about twice as efficient), then one
    reweighting step: the standard deviation of the errors within 2.5 Qn of the median,
    corrected for the cut. Qn alone is biased upwards by a third when a seventh of the
    history is off (a missed drift, holidays); the reweighted value by a sixth.
    A mostly flat series (over half the points equal) that still moves now and then
    has Qn = 0: its mean absolute deviation is used instead.
    """
    import numpy as np

    values = np.asarray(errors, dtype=float)
    n = len(values)
    if n < 2:
        return 0.0
    first, second = np.triu_indices(n, k=1)
    gaps = np.sort(np.abs(values[first] - values[second]))
    h = n // 2 + 1
    qn = _QN_TO_SIGMA * float(gaps[h * (h - 1) // 2 - 1]) * _qn_correction(n)
    deviations = np.abs(values - np.median(values))
    if qn <= 0:
        return _MEAN_ABS_TO_SIGMA * float(np.mean(deviations))
    kept = deviations[deviations <= _REWEIGHT_CUT * qn]
    if len(kept) < max(5, n // 2):
        return qn
    return float(np.sqrt(np.sum(kept**2) / (len(kept) - 1))) / _REWEIGHT_CONSISTENCY


def _qn_correction(n: int) -> float:
    """Small-sample factors of Qn (Croux and Rousseeuw, 1992)."""
    small = {2: 0.399, 3: 0.994, 4: 0.512, 5: 0.844, 6: 0.611, 7: 0.857, 8: 0.669, 9: 0.872}
    if n in small:
        return small[n]
    return n / (n + 1.4) if n % 2 else n / (n + 3.8)


def _scale(errors: Any) -> float:
    """Mean absolute error without the largest 5 %: unlike the MAD it notices a
    weekday that differs (one point in seven), yet ignores a holiday or two."""
    import numpy as np

    deviations = np.sort(np.abs(errors - np.median(errors)))
    kept = deviations[: max(1, math.ceil(0.95 * len(deviations)))]
    return float(np.mean(kept))


def _fmt(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
