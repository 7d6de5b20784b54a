"""Every number of a profile, in every engine, against an independent pandas computation."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from datasteward.services.profile import QUANTILES, ColumnProfile, Profile

from .conftest import SOURCE_KINDS, TABLES

Profiled = Callable[[str, str], Profile]
CASES = [(kind, table) for kind in SOURCE_KINDS for table in TABLES]


def _close(actual: Any, expected: float, rel: float = 1e-9) -> None:
    assert actual == pytest.approx(expected, rel=rel, abs=1e-9)


def _columns(profile: Profile, frame: pd.DataFrame) -> list[tuple[ColumnProfile, pd.Series]]:
    assert [c.name for c in profile.columns] == list(frame.columns)
    return [(column, frame[column.name]) for column in profile.columns]


def _same_value(actual: Any, expected: Any) -> bool:
    if isinstance(expected, pd.Timestamp):
        return pd.Timestamp(str(actual)) == expected
    if isinstance(expected, float | np.floating):
        return bool(actual == pytest.approx(float(expected), rel=1e-12))
    return bool(actual == expected)


@pytest.mark.parametrize(("kind", "table"), CASES)
def test_counts_extremes_and_moments(
    kind: str, table: str, profiled: Profiled, frames: dict[str, pd.DataFrame]
) -> None:
    frame = frames[table]
    profile = profiled(kind, table)
    assert profile.row_count == len(frame)
    for column, series in _columns(profile, frame):
        assert column.missing_count == series.isna().sum(), column.name
        assert column.missing_percent == pytest.approx(100 * series.isna().mean())
        assert column.distinct_count == series.nunique(), column.name
        assert _same_value(column.min, series.min()), (column.name, column.min)
        assert _same_value(column.max, series.max()), (column.name, column.max)
        if column.kind == "numeric":
            _close(column.mean, series.mean())
            _close(column.stddev, series.std())
            for key, fraction in QUANTILES:
                _close(column.quantiles[key], series.quantile(fraction))


@pytest.mark.parametrize(("kind", "table"), CASES)
def test_histograms_count_every_value_into_its_bin(
    kind: str, table: str, profiled: Profiled, frames: dict[str, pd.DataFrame]
) -> None:
    for column, series in _columns(profiled(kind, table), frames[table]):
        if column.kind != "numeric":
            assert column.histogram == []
            continue
        values = series.dropna().to_numpy(dtype=float)
        edges = [b.lower for b in column.histogram] + [column.histogram[-1].upper]
        assert edges[0] == values.min() and edges[-1] >= values.max()
        expected, _ = np.histogram(values, bins=edges)
        assert [b.count for b in column.histogram] == expected.tolist(), column.name
        assert len(column.histogram) <= 20


@pytest.mark.parametrize(("kind", "table"), CASES)
def test_top_values_and_text_statistics(
    kind: str, table: str, profiled: Profiled, frames: dict[str, pd.DataFrame]
) -> None:
    for column, series in _columns(profiled(kind, table), frames[table]):
        counts = series.value_counts()
        if series.nunique() == series.notna().sum():
            assert column.top_values == [], "a column of unique values lists no top values"
        else:
            assert [t.count for t in column.top_values] == counts.head(10).tolist(), column.name
            for item in column.top_values:
                matching = [v for v in counts.index if _same_value(item.value, v)]
                assert matching and counts[matching[0]] == item.count, (column.name, item)
        if column.kind != "string":
            assert column.lengths is None and column.patterns == []
            continue
        lengths = series.dropna().str.len()
        assert column.lengths is not None
        assert (column.lengths.min, column.lengths.max) == (lengths.min(), lengths.max())
        _close(column.lengths.mean, lengths.mean())
        shapes = (
            series.dropna()
            .str.replace("[A-Z]", "A", regex=True)
            .str.replace("[a-z]", "a", regex=True)
            .str.replace("[0-9]", "9", regex=True)
            .value_counts()
        )
        assert [p.count for p in column.patterns] == shapes.head(10).tolist(), column.name
        assert all(shapes[p.value] == p.count for p in column.patterns)


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_patterns_read_like_the_values(kind: str, profiled: Profiled) -> None:
    flights = profiled(kind, "flights")
    assert flights.column("tailnum").patterns[0].value == "A999AA"
    assert flights.column("carrier").patterns[0].value == "AA"
    assert profiled(kind, "penguins").column("species").patterns[0].value == "Aaaaaa"


@pytest.mark.parametrize(("kind", "table"), [(k, t) for k in SOURCE_KINDS for t in TABLES[:2]])
def test_rows_per_day(
    kind: str, table: str, profiled: Profiled, frames: dict[str, pd.DataFrame]
) -> None:
    column = profiled(kind, table).column("time_hour")
    assert column.kind == "temporal"
    expected = frames[table]["time_hour"].dt.date.value_counts().sort_index()
    assert column.rows_per_day is not None
    series = column.rows_per_day.series
    assert [str(d.value) for d in series] == [str(day) for day in expected.index]
    assert [d.count for d in series] == expected.tolist()
    summary = column.rows_per_day.to_json()
    assert (summary["days"], summary["min"], summary["max"]) == (
        len(expected),
        expected.min(),
        expected.max(),
    )


def _expected_correlations(frame: pd.DataFrame, numeric: list[str]) -> dict[str, pd.DataFrame]:
    """Pearson over pairwise-complete rows; Spearman as Pearson over each column's ranks."""
    return {
        "pearson": frame[numeric].corr(),
        "spearman": frame[numeric].rank().corr(),
    }


@pytest.mark.parametrize(("kind", "table"), CASES)
def test_correlations(
    kind: str, table: str, profiled: Profiled, frames: dict[str, pd.DataFrame]
) -> None:
    frame = frames[table]
    profile = profiled(kind, table)
    numeric = [c.name for c in profile.columns if c.kind == "numeric" and frame[c.name].std() > 0]
    expected = _expected_correlations(frame, numeric)
    # Larger tables are ranked in a 200,000-row random sample: Spearman is then an estimate.
    spearman_tolerance = 0.02 if len(frame) > 200_000 else 1e-9
    checked = 0
    for a_index, a in enumerate(numeric):
        for b in numeric[a_index + 1 :]:
            _close(profile.correlation(a, b, "pearson"), expected["pearson"].loc[a, b])
            assert profile.correlation(a, b, "spearman") == pytest.approx(
                expected["spearman"].loc[a, b], abs=spearman_tolerance
            ), (a, b)
            checked += 1
    assert checked == len(numeric) * (len(numeric) - 1) // 2 > 0


def _cramers_v(a: pd.Series, b: pd.Series) -> float:
    table = pd.crosstab(a, b)
    chi2 = chi2_contingency(table, correction=False)[0]
    return math.sqrt(chi2 / (table.to_numpy().sum() * (min(table.shape) - 1)))


@pytest.mark.parametrize(
    ("kind", "table", "pairs"),
    [
        (kind, table, pairs)
        for kind in SOURCE_KINDS
        for table, pairs in [
            ("flights", [("carrier", "origin")]),
            ("penguins", [("species", "island"), ("species", "sex"), ("island", "sex")]),
        ]
    ],
)
def test_cramers_v_between_low_cardinality_columns(
    kind: str,
    table: str,
    pairs: list[tuple[str, str]],
    profiled: Profiled,
    frames: dict[str, pd.DataFrame],
) -> None:
    profile = profiled(kind, table)
    found = [c for c in profile.correlations if c.method == "cramers_v"]
    assert sorted(tuple(sorted(c.columns)) for c in found) == sorted(
        tuple(sorted(p)) for p in pairs
    )
    frame = frames[table]
    for a, b in pairs:
        _close(profile.correlation(a, b, "cramers_v"), _cramers_v(frame[a], frame[b]))


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_candidate_keys(kind: str, profiled: Profiled, frames: dict[str, pd.DataFrame]) -> None:
    weather = profiled(kind, "weather")
    assert [k.columns for k in weather.candidate_keys] == [("origin", "time_hour")]
    assert not frames["weather"].duplicated(["origin", "time_hour"]).any()
    for table in ("flights", "penguins"):
        for key in profiled(kind, table).candidate_keys:
            assert not frames[table].duplicated(list(key.columns)).any(), key
