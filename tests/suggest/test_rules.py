"""The inference rules on hand-made statistics: margins, evidence thresholds, exclusions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from datasteward.services.sources import SourcePool
from datasteward.services.suggest.bounds import (
    max_age,
    missing_ceiling,
    numeric_bounds,
    row_floor,
)
from datasteward.services.suggest.patterns import PATTERNS
from datasteward.services.suggest.rules import Suggestion, infer
from datasteward.services.suggest.stats import ColumnStats, DatasetStats, measure

from .conftest import NOW

ROWS = 1000
BY_NAME = {p.name: p for p in PATTERNS}


@pytest.mark.parametrize(
    ("low", "high", "integral", "expected"),
    [
        (1.0, 5000.0, False, (0, 5500)),  # no negatives seen: min 0
        (-171.89, 10652.43, False, (-2000, 12000)),
        (0.05, 0.6, False, (0, 0.66)),
        (1990, 2024, True, (1986, 2028)),
        (100, 100, True, (90, 110)),  # constant: 10% of the value
        (0.0, 0.0, False, (0, 1)),
        (0, 1, True, (0, 2)),  # integer bounds stay integers
        (-5.5, -1.25, False, (-6, -0.8)),
    ],
)
def test_numeric_bounds_are_widened_and_rounded_outward(
    low: float, high: float, integral: bool, expected: tuple[float, float]
) -> None:
    bounds = numeric_bounds(low, high, integral=integral)
    assert (bounds.low, bounds.high) == expected
    assert bounds.low <= low and bounds.high >= high
    if integral:
        assert isinstance(bounds.low, int) and isinstance(bounds.high, int)


@pytest.mark.parametrize(
    ("rows", "floor"), [(1, 1), (3, 1), (20, 10), (150, 75), (1999, 990), (123_456, 61_000)]
)
def test_row_count_floor_is_about_half(rows: int, floor: int) -> None:
    assert row_floor(rows) == floor


@pytest.mark.parametrize(
    ("lag", "age"),
    [
        (timedelta(minutes=5), timedelta(days=1)),  # never less than a day
        (timedelta(hours=20), timedelta(days=2)),
        (timedelta(days=2), timedelta(days=7)),
        (timedelta(days=91), timedelta(days=365)),
        (timedelta(days=200), None),  # history, not a feed
    ],
)
def test_freshness_limit_is_generous(lag: timedelta, age: timedelta | None) -> None:
    assert max_age(lag) == age


@pytest.mark.parametrize(
    ("percent", "ceiling"), [(0.1, 2), (5, 8), (12, 20), (50, 75), (88.3, 95), (95, None)]
)
def test_missing_percent_ceiling(percent: float, ceiling: float | None) -> None:
    assert missing_ceiling(percent) == ceiling


def _text(name: str, **given: Any) -> ColumnStats:
    values = given.pop("values", ROWS)
    return ColumnStats(name=name, family="string", values=values, **given)


def _found(*columns: ColumnStats, key: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    stats = DatasetStats("d", ROWS, list(columns))
    return {(s.type, *s.columns): s.params for s in infer(stats, key=key, as_of=NOW)}


def _categories(counts: dict[str, int]) -> ColumnStats:
    return _text("status", distinct=len(counts), frequencies=counts, shortest=3, longest=7,
                 patterns=(BY_NAME["lower"], BY_NAME["token"]))  # fmt: skip


def test_in_set_needs_every_value_seen_a_few_times() -> None:
    common = _found(_categories({"new": 500, "paid": 497, "shipped": 3}))
    assert common[("in_set", "status")] == {
        "column": "status",
        "values": ["new", "paid", "shipped"],
    }
    assert ("regex", "status") not in common  # the list already fixes the shape
    rare = _found(_categories({"new": 500, "paid": 498, "PAID": 2}))
    assert ("in_set", "status") not in rare
    assert rare[("regex", "status")]["pattern"] == "^[a-z]+$"


@pytest.mark.parametrize(
    ("column", "pattern", "length"),
    [
        (
            _text("country", shortest=2, longest=2, patterns=(BY_NAME["upper"], BY_NAME["token"])),
            "^[A-Z]{2}$",
            None,
        ),  # the width is in the pattern
        (
            _text(
                "code", shortest=3, longest=5, patterns=(BY_NAME["upper_digits"], BY_NAME["token"])
            ),
            "^[A-Z0-9]+$",
            {"column": "code", "min": 3, "max": 5},
        ),
        (_text("title", shortest=5, longest=7, patterns=()), None, None),  # text, not codes
        (
            _text("word", shortest=4, longest=6, patterns=(BY_NAME["token"],)),
            None,
            {"column": "word", "min": 4, "max": 6},
        ),
        (
            _text("email", shortest=12, longest=40, patterns=(BY_NAME["email"], BY_NAME["token"])),
            BY_NAME["email"].regex,
            None,
        ),
        (_text("few", values=5, shortest=2, longest=2, patterns=(BY_NAME["upper"],)), None, None),
    ],
    ids=lambda v: v.name if isinstance(v, ColumnStats) else None,
)
def test_text_shapes(column: ColumnStats, pattern: str | None, length: Any) -> None:
    found = _found(column)
    assert found.get(("regex", column.name), {}).get("pattern") == pattern
    assert found.get(("length", column.name)) == length


def test_keys_are_unique_and_identifiers_get_no_range() -> None:
    found = _found(
        ColumnStats("order_id", "integer", ROWS, distinct=ROWS, low=1, high=ROWS),
        ColumnStats("customer_id", "integer", ROWS, distinct=40, low=1, high=40),
        ColumnStats("amount", "double", ROWS, distinct=ROWS, low=1.5, high=99.0),
        ColumnStats("line", "integer", ROWS, distinct=ROWS, low=1, high=ROWS),
        key=("order_id",),
    )
    assert found[("unique", "order_id")] == "order_id"
    assert ("unique", "amount") not in found  # distinct floats are no key
    assert ("unique", "line") not in found  # nor is a column without a key-like name
    assert ("between", "order_id") not in found and ("between", "customer_id") not in found
    assert found[("between", "amount")] == {"column": "amount", "min": 0, "max": 109}


def test_dates_get_a_lower_bound_and_timestamps_freshness() -> None:
    found = _found(
        ColumnStats("day", "date", ROWS, low=date(2024, 3, 5), high=date(2026, 1, 5)),
        ColumnStats("at", "timestamp", ROWS, low="2024-03-05 10:00:00",
                    high=(NOW - timedelta(hours=30)).replace(tzinfo=None)),
        ColumnStats("due", "timestamp", ROWS, low=NOW, high=NOW + timedelta(days=9)),
    )  # fmt: skip
    assert found[("between", "day")] == {"column": "day", "min": "2024-01-01"}
    assert found[("between", "at")] == {"column": "at", "min": "2024-01-01"}
    assert found[("freshness", "at")] == {"column": "at", "max_age": "3d"}
    assert ("freshness", "due") not in found  # future values: not a feed
    assert ("freshness", "day") not in found  # dates only when there is no timestamp


def test_nulls_are_not_null_or_missing_percent() -> None:
    found = _found(
        ColumnStats("full", "integer", ROWS, distinct=3, low=1, high=3),
        ColumnStats("holes", "integer", ROWS - 120, distinct=3, low=1, high=3),
        ColumnStats("empty", "integer", 0, distinct=0),
    )
    assert found[("not_null", "full")] == "full"
    assert found[("missing_percent", "holes")] == {"column": "holes", "max": 20}
    assert not any("empty" in k for k in found)


def test_an_empty_dataset_gets_no_suggestions() -> None:
    assert infer(DatasetStats("d", 0, []), key=[], as_of=NOW) == []


def test_suggestion_covers_type_and_columns() -> None:
    suggestion = Suggestion("unique", ("a", "b"), ["a", "b"], "key")
    assert suggestion.covers == ("unique", ("a", "b"))
    assert suggestion.column is None
    assert suggestion.entry() == {"unique": ["a", "b"]}


def test_statistics_take_at_most_two_queries(catalogue: Any) -> None:
    from datasteward.config import load_project

    queries: list[str] = []
    with SourcePool(load_project(catalogue.config)) as pool:
        ref = pool.dataset("products")
        fetch = ref.engine.fetch

        def counting(query: Any) -> Any:
            queries.append(ref.engine.to_sql(query))
            return fetch(query)

        ref.engine.fetch = counting  # type: ignore[method-assign]
        stats = measure(ref)
    assert len(queries) == 2  # the aggregates, and the frequencies of the one category column
    assert stats.rows == 400
    category = stats.column("category")
    assert category is not None and sum(category.frequencies.values()) == 400


def test_rules_use_the_as_of_time() -> None:
    stamp = ColumnStats("at", "timestamp", ROWS, low=NOW, high=NOW)
    late = DatasetStats("d", ROWS, [stamp])
    later = NOW + timedelta(days=20)
    found = {s.type: s.params for s in infer(late, key=[], as_of=later)}
    assert found["freshness"] == {"column": "at", "max_age": "60d"}
