"""``monitor: auto`` column metrics against independent pandas computations."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from datasteward.config import parse_project
from datasteward.model import DatasetResult
from datasteward.services.scan import scan

from .conftest import Shop, metric_of

ROWS = 2_000
AS_OF = datetime(2026, 2, 1, 6, tzinfo=UTC)
NEWEST = datetime(2026, 1, 31, 20, 30, tzinfo=UTC)  # 9.5 hours before AS_OF
# DuckDB's distinct count is a HyperLogLog sketch; SQLite counts exactly.
DISTINCT_TOLERANCE = {"duckdb": 0.05, "sqlite": 0.0}


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    amount = rng.gamma(2.0, 40.0, ROWS)
    amount[rng.random(ROWS) < 0.1] = np.nan
    quantity = pd.array(rng.integers(1, 9, ROWS), dtype="Int64")
    quantity[rng.random(ROWS) < 0.05] = pd.NA
    email = np.array([f"c{i}@example.com" for i in rng.integers(0, 700, ROWS)], dtype=object)
    email[rng.random(ROWS) < 0.2] = None
    offsets = rng.integers(1, 30 * 86_400, ROWS)
    created = [NEWEST - timedelta(seconds=int(s)) for s in offsets]
    created[int(rng.integers(0, ROWS))] = NEWEST
    return pd.DataFrame(
        {
            "order_id": np.arange(ROWS, dtype=np.int64),
            "amount": amount,
            "quantity": quantity,
            "email": email,
            "created_at": pd.to_datetime(created, utc=True).tz_convert(None),
        }
    )


def _write_sqlite(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE orders (order_id INTEGER, amount REAL, quantity INTEGER, "
            "email TEXT, created_at TIMESTAMP)"
        )
        created = frame["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
        others = frame.drop(columns="created_at")
        plain = others.astype(object).where(others.notna(), None)
        rows = [
            (*values, when)
            for values, when in zip(plain.itertuples(index=False), created, strict=True)
        ]
        connection.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", rows)


def _scan(engine: str, frame: pd.DataFrame, folder: Path) -> DatasetResult:
    if engine == "duckdb":
        shop = Shop(folder)
        shop.write(frame)
        project = shop.project([])
    else:
        _write_sqlite(frame, folder / "data" / "shop.sqlite")
        project = parse_project(
            """
sources: {legacy: {type: sqlite, path: data/shop.sqlite}}
datasets:
  orders: {source: legacy, table: orders}
""",
            base_dir=folder,
        )
    (result,) = scan(project, as_of=AS_OF).datasets
    return result


@pytest.fixture(scope="module", params=["duckdb", "sqlite"])
def scanned(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, pd.DataFrame, DatasetResult]:
    frame = _frame()
    engine = str(request.param)
    return engine, frame, _scan(engine, frame, tmp_path_factory.mktemp(engine))


@pytest.mark.parametrize("column", ["order_id", "amount", "quantity", "email", "created_at"])
def test_missing_values(scanned: tuple[str, pd.DataFrame, DatasetResult], column: str) -> None:
    _, frame, result = scanned
    missing = int(frame[column].isna().sum())
    assert metric_of(result, "missing_count", column) == missing
    assert metric_of(result, "missing_percent", column) == pytest.approx(100 * missing / ROWS)


@pytest.mark.parametrize("column", ["amount", "quantity", "order_id"])
@pytest.mark.parametrize("stat", ["mean", "stddev", "min", "max"])
def test_numeric_stats(
    scanned: tuple[str, pd.DataFrame, DatasetResult], column: str, stat: str
) -> None:
    _, frame, result = scanned
    values = frame[column].astype("float64")
    expected = {"mean": values.mean(), "stddev": values.std(ddof=1)}.get(stat)
    if expected is None:
        expected = values.min() if stat == "min" else values.max()
    assert metric_of(result, stat, column) == pytest.approx(float(expected), rel=1e-9)


@pytest.mark.parametrize("column", ["order_id", "amount", "quantity", "email", "created_at"])
def test_distinct_counts(scanned: tuple[str, pd.DataFrame, DatasetResult], column: str) -> None:
    engine, frame, result = scanned
    exact = int(frame[column].nunique(dropna=True))
    measured = metric_of(result, "distinct_count", column)
    assert measured == pytest.approx(exact, rel=DISTINCT_TOLERANCE[engine])


def test_freshness_lag_in_hours(scanned: tuple[str, pd.DataFrame, DatasetResult]) -> None:
    _, frame, result = scanned
    newest = frame["created_at"].max().tz_localize(UTC)
    expected = (AS_OF - newest).total_seconds() / 3600
    assert expected == 9.5
    assert metric_of(result, "freshness_lag_hours", "created_at") == pytest.approx(expected)


def test_text_and_time_columns_get_no_numeric_stats(
    scanned: tuple[str, pd.DataFrame, DatasetResult],
) -> None:
    _, _, result = scanned
    measured = {(m.name, m.column) for m in result.metrics}
    for stat in ("mean", "stddev", "min", "max"):
        assert (stat, "email") not in measured
        assert (stat, "created_at") not in measured
    assert ("freshness_lag_hours", "amount") not in measured
    assert result.metrics[0].name == "row_count" and result.metrics[0].value == ROWS


def test_monitor_off_records_only_the_row_count(tmp_path: Path) -> None:
    shop = Shop(tmp_path)
    shop.write(_frame())
    (result,) = scan(shop.project([], monitor="off"), as_of=AS_OF).datasets
    assert [(m.name, m.column, m.value) for m in result.metrics] == [("row_count", None, ROWS)]


# -- PostgreSQL: distinct counts estimated from a sample, not counted in the scan ----------


def _postgres_project(admin_url: str, frame: pd.DataFrame, folder: Path, name: str) -> Any:
    import psycopg

    admin = admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    before, _, query = admin.partition("?")
    url = f"{before.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    plain = frame.astype(object).where(frame.notna(), None)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE orders (order_id bigint, amount double precision, quantity bigint, "
            "email text, created_at timestamp)"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO orders VALUES (%s, %s, %s, %s, %s)",
                [tuple(row) for row in plain.itertuples(index=False)],
            )
    return parse_project(
        "sources: {shop: {type: postgres, url: " + json.dumps(url) + "}}\n"
        "datasets:\n  orders: {source: shop, table: public.orders}\n",
        base_dir=folder,
    )


def test_postgres_estimates_distinct_counts_after_the_scan(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasteward.engines.postgres import PostgresEngine

    frame = _frame()
    project = _postgres_project(postgres_url, frame, tmp_path, "steward_monitor_distinct")
    queries: list[str] = []
    fetch = PostgresEngine.fetch

    def noted(self: PostgresEngine, query: Any) -> Any:
        queries.append(self.to_sql(query))
        return fetch(self, query)

    monkeypatch.setattr(PostgresEngine, "fetch", noted)
    (result,) = scan(project, as_of=AS_OF, record=False).datasets
    assert "DISTINCT" not in queries[0].upper()  # the one scan sorts nothing
    assert any("BERNOULLI" in q.upper() for q in queries[1:])
    for column in ("order_id", "amount", "quantity", "email", "created_at"):
        # Fewer rows than the sample size: the sample holds every row, counts are exact.
        exact = int(frame[column].nunique(dropna=True))
        assert metric_of(result, "distinct_count", column) == exact


def test_postgres_views_get_exact_distinct_counts(postgres_url: str, tmp_path: Path) -> None:
    import psycopg

    frame = _frame()
    project = _postgres_project(postgres_url, frame, tmp_path, "steward_monitor_view")
    url = project.sources["shop"].url
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE VIEW recent AS SELECT * FROM orders WHERE order_id >= 0")
    project = parse_project(
        "sources: {shop: {type: postgres, url: " + json.dumps(url) + "}}\n"
        "datasets:\n  recent: {source: shop, table: public.recent}\n",
        base_dir=tmp_path,
    )
    (result,) = scan(project, as_of=AS_OF, record=False).datasets
    for column in ("order_id", "email"):  # a view cannot be sampled: counted exactly
        exact = int(frame[column].nunique(dropna=True))
        assert metric_of(result, "distinct_count", column) == exact


@pytest.mark.parametrize(
    ("sampled", "distinct", "once", "present", "expected"),
    [
        (100, 40, 10, 100, 40),  # the sample is everything
        (100, 4, 0, 10_000, 4),  # every value seen twice or more: few values
        (100, 100, 100, 10_000, 10_000),  # every value seen once: a key
        (100, 60, 30, 10_000, 85),  # in between: 6000 / 70.3
        (0, 0, 0, None, None),  # nothing known
        (0, 0, 0, 0, 0),  # an empty column
    ],
)
def test_duj1_estimates(
    sampled: int, distinct: int, once: int, present: float | None, expected: float | None
) -> None:
    from datasteward.services.monitor.column_metrics import duj1

    assert duj1(sampled, distinct, once, present) == expected


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param("SELECT NULL::bigint, NULL::text WHERE false", (0, 0), id="empty"),
        pytest.param(
            "SELECT NULL::bigint, NULL::text FROM generate_series(1, 5)", (0, 0), id="nulls"
        ),
        pytest.param(
            "SELECT g % 3 - 1, CASE WHEN g % 2 = 0 THEN 'x' || g END FROM generate_series(1, 29999) g",
            (3, 14_999),
            id="under-the-sample-size",
        ),
        pytest.param(
            # Few values among many rows: a sample of 30,000 rows may hold none of them.
            "SELECT g % 1000, CASE WHEN g % 100000 = 7 THEN 'x' || g END "
            "FROM generate_series(1, 1000000) g",
            (1000, 10),
            id="few-values-in-a-big-table",
        ),
    ],
)
def test_postgres_distinct_counts_are_exact_for_small_tables_and_sparse_columns(
    postgres_url: str, tmp_path: Path, rows: str, expected: tuple[int, int]
) -> None:
    import psycopg

    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = "steward_monitor_small"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    before, _, query = admin.partition("?")
    url = f"{before.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute('CREATE TABLE "Small" ("Some Number" bigint, "n0" text)')
        connection.execute(f'INSERT INTO "Small" {rows}')
    project = parse_project(
        "sources: {shop: {type: postgres, url: " + json.dumps(url) + "}}\n"
        "datasets:\n  small: {source: shop, table: public.Small}\n",
        base_dir=tmp_path,
    )
    (result,) = scan(project, as_of=AS_OF, record=False).datasets
    counts = (
        metric_of(result, "distinct_count", "Some Number"),
        metric_of(result, "distinct_count", "n0"),
    )
    assert counts == expected
