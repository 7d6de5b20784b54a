"""The scan service across sources: cross-source foreign keys, fallback, unreachable data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import psycopg
import pytest

from datasteward.config import parse_project
from datasteward.errors import SourceError
from datasteward.model import DatasetResult
from datasteward.services.scan import scan


def _write_orders_csv(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orders.csv").write_text(
        "order_id,customer_id,note\n1,10,a\n2,11,b\n3,99,c\n4,,d\n5,98,e\n6,10,12x\n"
    )


@pytest.fixture
def shop_url(postgres_url: str) -> str:
    """A PostgreSQL database holding the customers table."""
    name = "shop_scan_sources"
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    url = _with_database(admin, name)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE customers (customer_id bigint PRIMARY KEY, name text)")
        connection.execute(
            "INSERT INTO customers SELECT g, 'c' || g FROM generate_series(10, 20) g"
        )
    return url


def _with_database(url: str, database: str) -> str:
    before, _, after = url.partition("?")
    base = before.rsplit("/", 1)[0]
    return f"{base}/{database}" + (f"?{after}" if after else "")


def test_foreign_key_across_files_and_postgres(tmp_path: Path, shop_url: str) -> None:
    _write_orders_csv(tmp_path / "data")
    project = parse_project(
        f"""
sources:
  lake: {{type: files, root: data}}
  shop: {{type: postgres, url: "{shop_url}"}}
datasets:
  orders:
    source: lake
    path: orders.csv
    checks:
      - foreign_key: {{column: customer_id, references: customers.customer_id, samples: 10}}
  customers: {{source: shop, table: public.customers}}
""",
        base_dir=tmp_path,
    )
    run = scan(project, ["orders"], record=False)
    (result,) = run.datasets[0].checks
    assert result.status.value == "fail"
    assert result.failed_rows == 2  # 99 and 98 have no customer; the NULL is ignored
    assert sorted(row["customer_id"] for row in result.samples) == [98, 99]


def test_a_broken_metric_errors_alone(tmp_path: Path) -> None:
    _write_orders_csv(tmp_path / "data")
    project = parse_project(
        """
sources: {lake: {type: files, root: data}}
datasets:
  orders:
    source: lake
    path: orders.csv
    checks:
      - row_condition: {name: numeric_note, condition: "CAST(note AS INTEGER) > 0"}
      - not_null: [customer_id]
      - unique: order_id
""",
        base_dir=tmp_path,
    )
    checks = scan(project, record=False).datasets[0].checks
    assert [c.status.value for c in checks] == ["error", "fail", "pass"]
    assert "query failed" in checks[0].message and "conver" in checks[0].message.lower()
    assert checks[1].failed_rows == 1


def test_sqlite_median_and_stddev_run_inside_sqlite(tmp_path: Path) -> None:
    database = tmp_path / "legacy.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE t (x REAL)")
        connection.executemany("INSERT INTO t VALUES (?)", [(v,) for v in (1, 2, 3, 10, None)])
    project = parse_project(
        """
sources: {legacy: {type: sqlite, path: legacy.sqlite}}
datasets:
  t:
    source: legacy
    table: t
    checks:
      - metric: {column: x, stat: median, equals: 2.5}
      - metric: {column: x, stat: stddev, max: 100}
""",
        base_dir=tmp_path,
    )
    median, stddev = scan(project, record=False).datasets[0].checks
    assert median.status.value == "pass", median.message
    expected = duckdb.sql("SELECT stddev_samp(x) FROM (VALUES (1), (2), (3), (10)) v(x)").fetchall()
    assert stddev.observed == pytest.approx(expected[0][0])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{type: files, root: data}", "no file matches"),
        ("{type: sqlite, path: missing.sqlite}", "not found"),
        ("{type: duckdb, path: missing.duckdb}", "not found"),
        ('{type: postgres, url: "postgresql://u:secret@127.0.0.1:1/db"}', "cannot connect"),
    ],
)
def test_unreachable_sources_raise_source_error(tmp_path: Path, source: str, message: str) -> None:
    table = "path: nothing.parquet" if "files" in source else "table: t"
    project = parse_project(
        f"sources: {{s: {source}}}\ndatasets: {{d: {{source: s, {table}, checks: [{{row_count: {{min: 1}}}}]}}}}\n",
        base_dir=tmp_path,
    )
    with pytest.raises(SourceError, match=message) as caught:
        scan(project, record=False)
    assert "secret" not in str(caught.value)


def test_output_to_a_special_file_writes_into_it(tmp_path: Path) -> None:
    """--output /dev/stdout or a pipe must be written to, never replaced by a file."""
    import os
    import threading

    from datasteward.services.files import write_text_atomically

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_text_atomically(fifo, "hello\n")
    reader.join(timeout=10)
    assert received == ["hello\n"]
    assert fifo.is_fifo()


def _scan_postgres_table(url: str, table: str, rows: str, settings: str) -> DatasetResult:
    """Create ``table`` (``name (columns)``) in PostgreSQL with ``rows`` and scan it with the
    dataset ``settings`` (YAML lines under the dataset)."""
    name = table.split(" ", 1)[0]
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {name}")
        connection.execute(f"CREATE TABLE {table}")
        connection.execute(f"INSERT INTO {name} VALUES {rows}")
    project = parse_project(
        f"""
sources:
  shop: {{type: postgres, url: "{url}"}}
datasets:
  {name}:
    source: shop
    table: {name}
    {settings}
"""
    )
    (result,) = scan(project, record=False).datasets
    return result


def test_a_sample_row_python_cannot_hold_costs_only_the_samples(shop_url: str) -> None:
    """Samples are a courtesy: a failing row with a timestamp past year 9999 (fine in
    PostgreSQL, not in Python) leaves its check failed, without samples, and the scan goes on."""
    result = _scan_postgres_table(
        shop_url,
        "far_future (id bigint, at timestamptz)",
        "(1, '2026-01-01'), (NULL, '12026-01-01'), (3, NULL)",
        "monitor: off\n    checks: [not_null: id, not_null: at]",
    )
    by_column = {check.column: check for check in result.checks}
    assert by_column["id"].status.value == "fail" and by_column["id"].failed_rows == 1
    assert by_column["id"].samples == []  # the row holds a year Python cannot represent
    assert by_column["at"].status.value == "fail" and by_column["at"].failed_rows == 1
    assert by_column["at"].samples == [{"id": 3, "at": None}]


def test_a_column_postgresql_cannot_return_costs_only_its_own_monitor_metrics(
    shop_url: str,
) -> None:
    """'infinity' is a valid PostgreSQL timestamp but not a Python one: the one query
    fails, each check and each column's metrics run alone, and only what touches that
    column is lost (the freshness check says why)."""
    result = _scan_postgres_table(
        shop_url,
        "prices (id bigint, amount float8, valid_to timestamptz)",
        "(1, 2.5, '2026-01-01'), (2, 3.5, 'infinity'), (3, NULL, NULL)",
        "checks: [not_null: amount, freshness: {column: valid_to, max_age: 1d}]",
    )
    by_type = {check.type: check for check in result.checks}
    assert by_type["not_null"].failed_rows == 1
    assert by_type["freshness"].status.value == "error"
    assert "infinity" in by_type["freshness"].message
    columns = {metric.column for metric in result.metrics}
    assert {"id", "amount"} <= columns
    assert "valid_to" not in columns
    means = {m.column: m.value for m in result.metrics if m.name == "mean"}
    assert means["amount"] == 3.0
