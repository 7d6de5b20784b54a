"""Reading profiles into the report's view, and the numbers charts print on their axes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from datasteward.services.report.profile_view import Bin, read_profile
from datasteward.services.report.svg import nice_ticks, short_number, time_ticks


@pytest.mark.parametrize(
    ("histogram", "bins"),
    [
        ([{"lower": 0, "upper": 5, "count": 3}], [Bin(0, 5, 3)]),
        ([{"low": 0, "high": 5, "count": 3}], [Bin(0, 5, 3)]),
        ([[0, 5, 3], [5, 10, 1]], [Bin(0, 5, 3), Bin(5, 10, 1)]),
        ({"edges": [0, 5, 10], "counts": [3, 1]}, [Bin(0, 5, 3), Bin(5, 10, 1)]),
        ([{"lower": None, "upper": 5, "count": 3}, "junk"], []),
    ],
    ids=["lower-upper", "low-high", "triples", "edges", "unusable"],
)
def test_histogram_shapes(histogram: Any, bins: list[Bin]) -> None:
    profile = read_profile({"columns": [{"name": "x", "histogram": histogram}]})
    assert profile.columns[0].bins == bins


def test_rows_per_day_become_a_temporal_histogram() -> None:
    column = {
        "name": "created_at",
        "kind": "temporal",
        "histogram": [],
        "rows_per_day": {"series": [{"day": "2026-01-05", "count": 4}]},
    }
    (view,) = read_profile({"columns": [column]}).columns
    start = datetime(2026, 1, 5, tzinfo=UTC).timestamp()
    assert view.temporal and view.bins == [Bin(start, start + 86_400, 4)]


@pytest.mark.parametrize(
    ("correlations", "names", "matrix"),
    [
        (
            [
                {"columns": ["a", "b"], "method": "pearson", "value": 0.5},
                {"columns": ["a", "b"], "method": "spearman", "value": 0.9},
                {"columns": ["s", "t"], "method": "cramers_v", "value": 0.2},
            ],
            ["a", "b"],
            [[1.0, 0.5], [0.5, 1.0]],
        ),
        ([{"a": "x", "b": "y", "r": -0.25}], ["x", "y"], [[1.0, -0.25], [-0.25, 1.0]]),
        (
            {"columns": ["p", "q"], "matrix": [[1, None], [None, 1]]},
            ["p", "q"],
            [[1.0, None], [None, 1.0]],
        ),
        ([], [], []),
    ],
    ids=["service", "pairs", "matrix", "none"],
)
def test_correlation_shapes(correlations: Any, names: list[str], matrix: Any) -> None:
    profile = read_profile({"correlations": correlations})
    assert (profile.correlation_columns, profile.correlations) == (names, matrix)


def test_candidate_keys_and_statistics() -> None:
    profile = read_profile(
        {
            "dataset": "orders",
            "row_count": 10,
            "candidate_keys": [{"columns": ["id"]}, ["a", "b"], "c"],
            "columns": [
                {
                    "name": "amount",
                    "missing_percent": 12.5,
                    "mean": 3.5,
                    "stddev": float("nan"),
                    "quantiles": {"p1": 0, "p50": 3, "p99": None},
                    "top_values": [{"value": None, "count": 2}, {"value": 7, "count": 1}],
                }
            ],
        }
    )
    assert profile.candidate_keys == [["id"], ["a", "b"], ["c"]]
    (amount,) = profile.columns
    assert amount.stats == [("missing", 12.5), ("mean", 3.5), ("median", 3.0)]
    assert amount.top_values == [("NULL", 2), ("7", 1)]


@pytest.mark.parametrize(
    ("value", "label"),
    [(0, "0"), (12, "12"), (0.25, "0.25"), (-3.5, "-3.5"), (2_500, "2,500"),
     (13_735.15, "13.7k"), (103_000, "103k"), (3_400_000, "3.4M"), (2e9, "2G")],
)  # fmt: skip
def test_short_numbers(value: float, label: str) -> None:
    assert short_number(value) == label


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [(0, 10, [0, 2.5, 5, 7.5, 10]), (1_530, 3_010, [1_500, 2_000, 2_500, 3_000, 3_500]),
     (5, 5, [4.5, 4.75, 5, 5.25, 5.5]), (0, 1, [0, 0.25, 0.5, 0.75, 1]), (-0.04, 0.02, [-0.04, -0.02, 0, 0.02])],
)  # fmt: skip
def test_nice_ticks_cover_the_range(low: float, high: float, ticks: list[float]) -> None:
    assert nice_ticks(low, high, 5) == pytest.approx(ticks)


def test_time_ticks_fall_on_midnights() -> None:
    start = datetime(2025, 12, 31, 6, tzinfo=UTC)
    end = datetime(2026, 1, 20, tzinfo=UTC)
    ticks = time_ticks(start, end, 5)
    assert ticks[0] == datetime(2026, 1, 1, tzinfo=UTC)
    assert all(t.hour == 0 and start <= t <= end for t in ticks)
    assert 3 <= len(ticks) <= 7
