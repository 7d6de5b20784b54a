"""Column kinds beyond the shipped data: booleans, decimals, dates, awkward names, no rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlglot import exp

from datasteward.engines.duckdb import DuckDBEngine
from datasteward.services.profile import (
    Profile,
    ProfileOptions,
    SampleSize,
    profile_relation,
)
from datasteward.services.profile.html import render_fragment, render_html

TABLE = exp.to_table('"kinds"')


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(None, label="memory")
    engine.connection.execute(
        'CREATE TABLE kinds (flag BOOLEAN, price DECIMAL(10, 2), day DATE, "we""ird name" TEXT,'
        " tags VARCHAR[], constant INTEGER)"
    )
    engine.connection.execute(
        "INSERT INTO kinds SELECT i % 3 = 0, (i % 7) * 1.25, DATE '2026-01-01' + (i % 4)::INTEGER,"
        " CASE WHEN i % 10 = 0 THEN NULL ELSE 'v' || (i % 2) END, ['a', 'b'], 5 FROM range(100) t(i)"
    )
    yield engine
    engine.close()


def _profile(engine: DuckDBEngine, options: ProfileOptions | None = None) -> Profile:
    columns = engine.columns(TABLE)
    return profile_relation(engine, TABLE, columns, dataset="kinds", options=options)


def test_booleans_decimals_dates_and_names_that_need_quoting(engine: DuckDBEngine) -> None:
    profile = _profile(engine)
    flag = profile.column("flag")
    assert (flag.kind, flag.min, flag.max, flag.distinct_count) == ("boolean", False, True, 2)
    assert flag.mean == pytest.approx(34 / 100)
    assert [(t.value, t.count) for t in flag.top_values] == [(False, 66), (True, 34)]
    price = profile.column("price")
    assert price.kind == "numeric" and price.max == Decimal("7.50")
    assert sum(b.count for b in price.histogram) == 100
    day = profile.column("day")
    assert day.kind == "temporal" and day.min == date(2026, 1, 1)
    assert day.rows_per_day is not None and [d.count for d in day.rows_per_day.series] == [25] * 4
    weird = profile.column('we"ird name')
    assert (weird.missing_count, weird.distinct_count) == (10, 2)
    assert [p.value for p in weird.patterns] == ["a9"]
    tags = profile.column("tags")
    assert tags.kind == "other" and tags.distinct_count is None and tags.top_values == []
    constant = profile.column("constant")
    assert [(b.lower, b.upper, b.count) for b in constant.histogram] == [(5.0, 6.0, 100)]
    assert profile.correlation("flag", 'we"ird name', "cramers_v") is not None
    assert profile.to_json()["columns"][0]["min"] is False


def test_an_empty_table_profiles_without_errors(engine: DuckDBEngine) -> None:
    engine.connection.execute("DELETE FROM kinds")
    profile = _profile(engine)
    assert profile.row_count == 0 and profile.candidate_keys == [] and profile.correlations == []
    assert all(c.missing_count == 0 and c.histogram == [] for c in profile.columns)
    assert "Profile of kinds" in render_html(profile)


def test_a_sample_notes_that_its_keys_are_only_unique_within_it(engine: DuckDBEngine) -> None:
    profile = _profile(engine, ProfileOptions(sample=SampleSize(rows=10)))
    assert profile.row_count == 10 and profile.total_rows == 100
    assert any("sample" in note for note in profile.notes)


def test_the_fragment_is_embeddable(engine: DuckDBEngine) -> None:
    fragment = render_fragment(_profile(engine))
    assert fragment.startswith('<section class="steward-profile">')
    assert fragment.rstrip().endswith("</section>") and "<html" not in fragment
    assert "we&#34;ird name" in fragment  # escaped, never raw markup


@pytest.mark.parametrize(
    ("text", "rows", "percent"),
    [("1000", 1000, None), ("1_000", 1000, None), ("10%", None, 10.0), ("0.5 %", None, 0.5)],
)
def test_sample_sizes(text: str, rows: int | None, percent: float | None) -> None:
    assert SampleSize.parse(text) == SampleSize(rows=rows, percent=percent)
