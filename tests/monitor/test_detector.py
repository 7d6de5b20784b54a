"""The expected band on constructed histories: season, trend, flat, short, outliers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pytest

from datasteward.services.monitor.detector import (
    Band,
    NotEnoughHistory,
    expected_band,
    sensitivity_factor,
)

from .conftest import day

Series = list[tuple[datetime, float]]
WEEKEND_PEAK = (1.0, 1.0, 1.0, 1.0, 1.0, 1.4, 1.3)  # Monday first; day 0 is a Monday


def series(
    days: int, value: Callable[[int], float], *, noise: float = 0.0, seed: int = 0
) -> Series:
    rng = np.random.default_rng(seed)
    return [(day(n), value(n) * (1 + noise * rng.standard_normal())) for n in range(days)]


def weekend_peak(n: int) -> float:
    return 1000 * WEEKEND_PEAK[n % 7]


def test_a_weekly_season_expects_weekend_peaks() -> None:
    history = series(56, weekend_peak, noise=0.01)
    saturday, wednesday = expected_band(history, day(61)), expected_band(history, day(58))
    assert saturday.seasonal and wednesday.seasonal
    assert saturday.expected == pytest.approx(1400, rel=0.02)
    assert wednesday.expected == pytest.approx(1000, rel=0.02)
    assert saturday.contains(1400) and not saturday.contains(1000)
    assert wednesday.contains(1000) and not wednesday.contains(1400)
    assert "weekly season" in saturday.describe()


def test_a_trend_is_extrapolated() -> None:
    history = series(60, lambda n: 1000 + 10 * n, noise=0.005)
    band = expected_band(history, day(60))
    assert band.expected == pytest.approx(1600, rel=0.02)
    assert band.slope_per_day == pytest.approx(10, rel=0.1)
    assert band.contains(1600) and not band.contains(1450)
    assert not band.seasonal


def test_a_trend_under_a_season_is_not_tilted_by_partial_weeks() -> None:
    # 7 weeks and 3 days: the extra weekend at the end would tilt an ordinary fit.
    history = series(54, lambda n: weekend_peak(n) * (1 + 0.004 * n), noise=0.01)
    monday = expected_band(history, day(56))
    assert monday.seasonal
    assert monday.expected == pytest.approx(1000 * (1 + 0.004 * 56), rel=0.03)


def test_a_flat_history_allows_a_small_wobble_only() -> None:
    band = expected_band(series(30, lambda n: 500.0), day(30))
    assert band.expected == pytest.approx(500)
    assert band.contains(500) and band.contains(505)
    assert not band.contains(540) and not band.contains(460)


def test_a_history_of_zeros_flags_any_change() -> None:
    band = expected_band(series(30, lambda n: 0.0), day(30))
    assert band.contains(0.0)
    assert not band.contains(0.01)


def test_a_mostly_flat_history_that_moves_sometimes_keeps_a_width() -> None:
    # One null on every fifth day: the MAD is 0, yet one null is ordinary.
    band = expected_band(series(30, lambda n: 1.0 if n % 5 == 0 else 0.0), day(30))
    assert band.contains(0) and band.contains(1)
    assert not band.contains(5)


@pytest.mark.parametrize(("points", "need"), [(0, 7), (3, 7), (6, 7), (9, 10)])
def test_a_short_history_is_not_enough(points: int, need: int) -> None:
    with pytest.raises(NotEnoughHistory, match=f"not enough history: {points} of {need} points"):
        expected_band(series(points, lambda n: 10.0), day(points), min_history=need)


def test_a_few_outliers_do_not_move_the_band() -> None:
    clean = series(42, lambda n: 1000.0, noise=0.02, seed=3)
    dirty = list(clean)
    for n, factor in ((10, 5.0), (20, 0.1), (30, 4.0)):
        dirty[n] = (dirty[n][0], dirty[n][1] * factor)
    before, after = expected_band(clean, day(42)), expected_band(dirty, day(42))
    assert after.expected == pytest.approx(before.expected, rel=0.01)
    assert after.high - after.low == pytest.approx(before.high - before.low, rel=0.2)
    assert not after.contains(1300) and not after.contains(700)


def test_the_tested_point_and_later_ones_are_not_part_of_the_baseline() -> None:
    history = series(28, lambda n: 1000.0, noise=0.02)
    wild = [*history, (day(28), 1e9), (day(29), -1e9)]
    assert expected_band(wild, day(28)) == expected_band(history, day(28))
    band = expected_band(wild, day(28))
    assert band.points == 28
    assert band.describe().endswith("from 28 points since 2026-01-05")


def test_the_second_weekend_is_not_flagged_before_a_season_can_be_learnt() -> None:
    # Nine days: one weekend seen, too few to estimate a season; its level is plausible.
    history = series(9, weekend_peak, noise=0.01)
    saturday = expected_band(history, day(12))
    assert not saturday.seasonal
    assert saturday.contains(1400)
    assert not saturday.contains(500)


def test_flagging_and_excluding_never_locks_weekends_out() -> None:
    """What the store does: points outside the band leave the history for good."""
    rng = np.random.default_rng(7)
    kept: Series = []
    flagged = []
    for n in range(100):
        value = weekend_peak(n) * (1 + 0.02 * rng.standard_normal())
        try:
            inside = expected_band(kept, day(n)).contains(value)
        except NotEnoughHistory:
            inside = True
        if inside:
            kept.append((day(n), value))
        else:
            flagged.append(n)
    assert len(flagged) <= 1, flagged


@pytest.mark.parametrize("points", [7, 14, 28, 84])
def test_pure_noise_rarely_leaves_the_band(points: int) -> None:
    rng = np.random.default_rng(points)
    outside = 0
    trials = 400
    for _ in range(trials):
        values = 100 + 5 * rng.standard_normal(points + 1)
        history = [(day(n), float(v)) for n, v in enumerate(values[:-1])]
        outside += not expected_band(history, day(points)).contains(float(values[-1]))
    assert outside / trials <= 0.01


def test_a_metric_that_crosses_zero_is_modelled_additively() -> None:
    band = expected_band(series(28, lambda n: -2.0 + (n % 2) * 4.0), day(28))
    assert band.expected == pytest.approx(0, abs=2.1)
    assert band.contains(-2) and band.contains(2)
    assert not band.contains(40)


def test_sensitivity_sets_the_width() -> None:
    history = series(28, lambda n: 1000.0, noise=0.02)
    widths = {
        level: (lambda b: b.high - b.low)(expected_band(history, day(28), sensitivity=level))
        for level in ("high", "medium", "low", 9.0)
    }
    assert widths["high"] < widths["medium"] < widths["low"] < widths[9.0]
    assert widths[9.0] / widths["medium"] == pytest.approx(9.0 / sensitivity_factor("medium"))
    assert sensitivity_factor("medium") == 4.0 and sensitivity_factor(2) == 2.0


def test_a_band_describes_itself() -> None:
    band = Band(1234.5, 1000.0, 1500.0, 21, day(0), True, 0.0)
    assert band.describe() == (
        "expected 1,234 in [1,000, 1,500] from 21 points since 2026-01-05, weekly season"
    )
    big = Band(12_345_678.0, 1e7, 1.5e7, 7, day(0), False, 0.0)
    assert big.describe() == (
        "expected 12,345,678 in [10,000,000, 15,000,000] from 7 points since 2026-01-05"
    )
