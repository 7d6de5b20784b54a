"""The trend of a metric: a Theil-Sen slope per day with a confidence interval."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from datasteward.services.trend import fit_trend, metric_series, series_trends

START = datetime(2026, 1, 1, tzinfo=UTC)


def _daily(
    values: list[float], step: timedelta = timedelta(days=1)
) -> list[tuple[datetime, float]]:
    return [(START + i * step, v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("slope", "noise"),
    [(12.5, 0.0), (12.5, 3.0), (-0.25, 0.05), (0.0, 1.0), (1_000.0, 50.0)],
)
def test_the_interval_holds_the_true_slope(slope: float, noise: float) -> None:
    rng = random.Random(7)
    values = [500 + slope * day + rng.gauss(0, noise) for day in range(30)]
    trend = fit_trend(_daily(values))
    assert trend is not None
    assert trend.low <= slope <= trend.high
    assert trend.slope_per_day == pytest.approx(slope, abs=max(noise, 1e-9))
    assert trend.points == 30 and trend.days == 29
    assert trend.significant is (slope != 0)


def test_slope_is_per_day_whatever_the_spacing() -> None:
    hourly = _daily([10 + 2 * h for h in range(48)], step=timedelta(hours=1))
    trend = fit_trend(hourly)
    assert trend is not None
    assert trend.slope_per_day == pytest.approx(48.0)
    assert trend.value_at(START + timedelta(days=1)) == pytest.approx(58.0)


def test_one_bad_day_does_not_tilt_it() -> None:
    values = [100.0 + 3 * day for day in range(20)]
    values[15] = 5.0  # half a load went missing
    trend = fit_trend(_daily(values))
    assert trend is not None
    assert trend.slope_per_day == pytest.approx(3.0)
    assert trend.intercept == pytest.approx(100.0)


@pytest.mark.parametrize(
    "points",
    [
        [],
        _daily([1.0, 2.0]),
        [(START, 1.0), (START, 2.0), (START, 3.0)],
        _daily([1.0, math.nan, 2.0]),
    ],
    ids=["empty", "two points", "one moment", "two after NaN"],
)
def test_too_little_data_gives_no_trend(points: list[tuple[datetime, float]]) -> None:
    assert fit_trend(points) is None


def test_describe_reads_as_a_sentence() -> None:
    rising = fit_trend(_daily([100 + 34.5 * day for day in range(10)]))
    flat = fit_trend(_daily([5.0, 5.1, 4.9, 5.0, 5.05, 4.95]))
    assert rising is not None and flat is not None
    assert rising.describe() == "+34.50 per day (95% CI +34.50 to +34.50)"
    assert flat.describe().endswith("; no clear trend)")
    assert rising.to_json()["method"] == "theil-sen"
    steady = fit_trend(_daily([7.0] * 5))
    assert steady is not None and steady.describe() == "0 per day (no trend)"


def test_series_group_by_metric_and_column_and_keep_the_newest_replay() -> None:
    day1, day2, day3 = (START + timedelta(days=i) for i in range(3))
    rows = [  # newest recorded first, as the store returns them
        (day3, "row_count", None, 30.0),
        (day2, "row_count", None, 21.0),  # a replay of day 2: this one wins
        (day2, "row_count", None, 20.0),
        (day1, "row_count", None, 10.0),
        (day1, "mean", "amount", 5.0),
        (day2, "mean", "amount", None),
    ]
    assert metric_series(rows) == {
        ("row_count", None): [(day1, 10.0), (day2, 21.0), (day3, 30.0)],
        ("mean", "amount"): [(day1, 5.0)],
    }
    long_ago = START - timedelta(days=30)  # flagged, but older than the series shown
    flagged = [("row_count", None, day2), ("row_count", None, long_ago)]
    (row_count, mean) = series_trends(rows, flagged)
    assert (row_count.label, row_count.anomalies) == ("row_count", [day2])
    assert row_count.trend is not None and row_count.trend.slope_per_day == pytest.approx(10.0)
    assert (mean.label, mean.trend) == ("mean(amount)", None)
