"""The shortcuts of services/profile/proofs.py: sound, and never changing a profile."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlglot import exp

from datasteward.engines.duckdb import DuckDBEngine
from datasteward.services.profile import ProfileOptions, profile_relation
from datasteward.services.profile.proofs import duplicate_in_partition, unique_by_range
from datasteward.services.profile.queries import Binning, ProfiledColumn, histogram_query
from datasteward.services.profile.relations import dense_histogram

TABLE = exp.to_table('"t"')

# (column SQL over i in 0..999, provably unique by a bitmap)
CASES = [
    ("i", True),
    ("i * 3 - 1500", True),  # sparse, negative
    ("CASE WHEN i = 7 THEN 8 ELSE i END", False),  # one duplicate
    ("CASE WHEN i % 10 = 0 THEN NULL ELSE i END", True),  # unique among present values
    ("i % 500", False),  # fewer possible values than values
    ("i * 1000000000", False),  # range too wide for a bitmap
    ("TIMESTAMP '1960-01-01' + to_seconds(i * 7)", True),  # whole seconds, before 1970
    ("TIMESTAMP '2026-01-01' + to_microseconds(i * 1500000)", False),  # fractions of a second
    ("TIMESTAMP '2026-01-01' + to_seconds(i // 2)", False),
    ("TIMESTAMPTZ '2026-03-29 00:30:00+00' + to_seconds(i * 60)", True),
    ("DATE '2020-02-28' + i::INTEGER", True),
    ("DATE '2020-02-28' + (i // 3)::INTEGER", False),
    ("'text ' || i", False),  # not counted in a bitmap (a GROUP BY says it is unique)
    ("i - 500", True),  # dense: quantiles and histogram need no query
]


class _NoShortcuts(DuckDBEngine):
    """DuckDB without its shortcuts: what PostgreSQL and SQLite get."""

    max_distinct_range = 0

    def hash(self, values: Sequence[exp.Expr]) -> exp.Expr | None:
        return None


def _engine(kind: type[DuckDBEngine]) -> DuckDBEngine:
    engine = kind(None, label="memory")
    columns = ", ".join(f"{sql} AS c{n}" for n, (sql, _) in enumerate(CASES))
    engine.connection.execute(
        f"SET TimeZone = 'Europe/Berlin'; CREATE TABLE t AS SELECT {columns},"
        " i % 37 AS a, i % 29 AS b, i % 100 AS e, 0 AS z FROM range(1000) r(i)"
    )
    return engine


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    engine = _engine(DuckDBEngine)
    yield engine
    engine.close()


def _json(engine: DuckDBEngine) -> dict[str, Any]:
    found = profile_relation(engine, TABLE, engine.columns(TABLE), dataset="t").to_json()
    found.pop("seconds")
    return found


def test_bitmaps_prove_exactly_the_unique_columns(engine: DuckDBEngine) -> None:
    options = ProfileOptions()
    profile = profile_relation(engine, TABLE, engine.columns(TABLE), dataset="t", options=options)
    specs = ProfiledColumn.of(engine.columns(TABLE))
    proven = unique_by_range(engine, TABLE, specs, profile.columns)
    expected = {n for n, (_, unique) in enumerate(CASES) if unique}
    assert proven == expected


def test_shortcuts_never_change_a_profile(engine: DuckDBEngine) -> None:
    plain = _engine(_NoShortcuts)
    try:
        assert _json(engine) == _json(plain)
    finally:
        plain.close()


@pytest.mark.parametrize(
    ("columns", "duplicated"),
    [
        (("c0", "a"), False),
        (("a", "b"), False),  # 37 x 29 > 1,000: every pair differs
        (("e", "z"), True),  # 100 pairs, each ten times: some lie in the probed partition
    ],
)
def test_a_duplicate_is_found_in_a_partition_only_when_there_is_one(
    engine: DuckDBEngine, columns: tuple[str, str], duplicated: bool
) -> None:
    specs = [c for c in ProfiledColumn.of(engine.columns(TABLE)) if c.name in columns]
    assert duplicate_in_partition(engine, TABLE, specs) is duplicated
    assert duplicate_in_partition(_NoShortcuts.__new__(_NoShortcuts), TABLE, specs) is False


@pytest.mark.parametrize(
    ("low", "high", "bins"),
    [(0, 999, 20), (-7, 5, 20), (1, 1, 20), (3, 1002, 7), (10**12, 10**12 + 12_345, 20)],
)
def test_a_dense_histogram_counts_as_the_bins_would(low: int, high: int, bins: int) -> None:
    binning = Binning.of(low, high, bins, integer=True)
    spec = ProfiledColumn(0, "range", "BIGINT", "numeric")
    query = histogram_query(
        exp.Anonymous(
            this="range", expressions=[exp.Literal.number(low), exp.Literal.number(high + 1)]
        ),
        [(spec, binning)],
    )
    with DuckDBEngine(None, label="memory") as engine:
        counted = {int(bucket): int(n) for _, bucket, n in engine.fetch(query).rows}
    expected = [counted.get(i, 0) for i in range(binning.count)]
    assert [b.count for b in dense_histogram(binning, low, high)] == expected
