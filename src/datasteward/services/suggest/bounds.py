"""Thresholds with a margin: what ``steward suggest`` writes instead of the exact extremes.

A suggested check must pass today and keep passing on tomorrow's ordinary data, so
observed values are widened and rounded outward to numbers a person would have written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

__all__ = [
    "FRESHNESS_FLOOR",
    "Bounds",
    "format_age",
    "max_age",
    "missing_ceiling",
    "numeric_bounds",
    "row_floor",
    "start_of_year",
]

Number = int | float

#: share of the observed range added on each side of ``between`` bounds
RANGE_MARGIN = Decimal("0.1")
#: freshness never suggests less than this: most data is loaded daily or more often
FRESHNESS_FLOOR = timedelta(hours=24)
_AGE_LADDER = tuple(timedelta(days=d) for d in (1, 2, 3, 7, 14, 30, 60, 90, 180, 365))


@dataclass(frozen=True)
class Bounds:
    low: Number
    high: Number
    #: the low bound was raised to 0 because no negative value was seen
    clipped_at_zero: bool = False


def numeric_bounds(low: Number, high: Number, *, integral: bool) -> Bounds:
    """``[low, high]`` widened by 10% of the range on each side and rounded outward.

    A column with no negative values keeps 0 as its lower bound; integer columns get
    integer bounds. A constant column is widened by 10% of its value (1 when it is 0).
    """
    lo, hi = Decimal(str(low)), Decimal(str(high))
    margin = (hi - lo) * RANGE_MARGIN
    if margin == 0:
        margin = abs(lo) * RANGE_MARGIN or Decimal(1)
    if integral:
        margin = max(margin, Decimal(1))
    step = Decimal(1).scaleb(math.floor(math.log10(margin)))
    if integral:
        step = max(step, Decimal(1))
    wide_lo = ((lo - margin) / step).to_integral_value(ROUND_FLOOR) * step
    wide_hi = ((hi + margin) / step).to_integral_value(ROUND_CEILING) * step
    clipped = lo >= 0 > wide_lo
    if clipped:
        wide_lo = Decimal(0)
    return Bounds(_plain(wide_lo), _plain(wide_hi), clipped)


def _plain(value: Decimal) -> Number:
    """An int when the value is whole, else the float with the same short decimal form."""
    return int(value) if value == value.to_integral_value() else float(value)


def row_floor(rows: int) -> int:
    """Half the current row count, rounded down to two significant digits (at least 1)."""
    half = rows // 2
    if half < 1:
        return 1
    unit: int = 10 ** max(len(str(half)) - 2, 0)
    return half // unit * unit


def max_age(lag: timedelta) -> timedelta | None:
    """A generous freshness limit for an observed lag: at least twice the lag and a day,
    rounded up to 1d, 2d, 3d, 7d, 14d, 30d …; None beyond a year (the column is history,
    not a feed)."""
    wanted = max(2 * lag, FRESHNESS_FLOOR)
    return next((age for age in _AGE_LADDER if age >= wanted), None)


def format_age(age: timedelta) -> str:
    """A ladder duration as written in steward.yml: ``24h``, ``7d``."""
    hours = int(age.total_seconds()) // 3600
    return f"{hours}h" if hours <= 24 else f"{hours // 24}d"


def missing_ceiling(percent: float) -> float | None:
    """A ``missing_percent`` maximum above the observed share, or None when it would not
    say anything (close to 100%).

    The margin is half the observed share, at least one point, and never more than half
    the distance to 100%; the result is rounded up to a whole percent (5% steps above 10).
    """
    margin = max(1.0, min(percent / 2, (100 - percent) / 2))
    wanted = percent + margin
    ceiling = math.ceil(wanted) if wanted < 10 else 5 * math.ceil(wanted / 5)
    return float(ceiling) if ceiling < 100 else None


def start_of_year(value: date | datetime) -> str:
    """The first day of the value's year, as a between bound: ``'2024-01-01'``."""
    return f"{value.year:04d}-01-01"
