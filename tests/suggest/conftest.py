"""A product catalogue written to real DuckDB and SQLite files (and Parquet), with the
shapes ``steward suggest`` looks for, and helpers to plant a defect in it afterwards.

The rows are deterministic; ``NOW`` is the logical time every test judges freshness at.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pytest

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
ROWS = 400
CATEGORIES = ("tools", "garden", "kitchen", "toys")
COUNTRIES = (
    "US", "GB", "DE", "FR", "NL", "ES", "IT", "SE", "PL", "CA", "AU", "BR", "JP", "IN", "MX",
    "AR", "CL", "NO", "DK", "FI", "IE", "PT", "AT", "CH", "BE", "CZ", "HU", "GR", "TR", "ZA",
)  # fmt: skip
COLUMNS = (
    "product_id BIGINT",
    "sku VARCHAR",
    "category VARCHAR",
    "country VARCHAR",
    "code VARCHAR",
    "price DOUBLE",
    "quantity INTEGER",
    "email VARCHAR",
    "note VARCHAR",
    "launch_date DATE",
    "created_at TIMESTAMP",
)
SQLITE_TYPES = {"BIGINT": "INTEGER", "VARCHAR": "TEXT", "DOUBLE": "REAL"}


def catalogue_rows(rows: int = ROWS, seed: int = 3) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    found = []
    for index in range(rows):
        created = NOW - timedelta(minutes=30 + 90 * index)
        code_length = rng.choice((3, 4, 5))
        found.append(
            (
                1000 + index,
                f"{rng.choice(letters)}{rng.choice(letters)}-{10000 + index}",
                CATEGORIES[index % len(CATEGORIES)],
                rng.choice(COUNTRIES),
                "".join(rng.choice(letters + "0123456789") for _ in range(code_length)),
                round(rng.uniform(1.0, 500.0), 2),
                rng.randint(0, 100),
                f"buyer{index}@shop{rng.randint(1, 9)}.example.com",
                None if index % 3 == 0 else f"note {index}",
                date(2024, 1, 1) + timedelta(days=index),
                created.replace(tzinfo=None),
            )
        )
    return found


@dataclass
class Catalogue:
    """A project over the same rows in DuckDB and SQLite (and, on request, PostgreSQL),
    and a way to change them."""

    directory: Path
    config: Path
    duckdb_path: Path
    sqlite_path: Path
    postgres: tuple[str, str] | None = None  # (url, schema)

    def execute(self, source: str, statement: str) -> None:
        """Run one data-changing statement against one copy of the rows."""
        if source == "warehouse":
            with duckdb.connect(str(self.duckdb_path)) as connection:
                connection.execute(statement)
        elif source == "legacy":
            with sqlite3.connect(self.sqlite_path) as connection:
                connection.execute(statement)
        else:
            assert self.postgres is not None
            url, schema = self.postgres
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute(f"SET search_path TO {schema}")
                connection.execute(statement.encode())

    def add_postgres(self, url: str) -> None:
        """Copy the rows into a fresh schema of a PostgreSQL server: dataset pg_products."""
        url = url.replace("+psycopg", "", 1)
        schema = f"suggest_{uuid.uuid4().hex[:12]}"
        types = {"VARCHAR": "TEXT", "DOUBLE": "DOUBLE PRECISION"}
        columns = [f"{name} {types.get(kind, kind)}" for name, kind in (c.split() for c in COLUMNS)]
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}".encode())
            connection.execute(f"CREATE TABLE {schema}.products ({', '.join(columns)})".encode())
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {schema}.products VALUES ({', '.join('%s' for _ in COLUMNS)})".encode(),
                    catalogue_rows(),
                )
        self.postgres = (url, schema)
        text = self.config.read_text(encoding="utf-8")
        text = text.replace(
            "\ndatasets:\n", f"  shop: {{type: postgres, url: '{url}'}}\n\ndatasets:\n"
        )
        text += f"\n  pg_products:\n    source: shop\n    table: {schema}.products\n"
        self.config.write_text(text, encoding="utf-8")


CONFIG = """\
# The product catalogue, in a warehouse and a legacy database.
version: 1
store: sqlite:///.steward/steward.db

sources:
  warehouse: {type: duckdb, path: warehouse.duckdb}   # DuckDB file
  legacy:    {type: sqlite, path: legacy.sqlite}      # SQLite file

datasets:
  products:
    source: warehouse
    table: products
    key: [product_id]
    checks:
      # The one check written by hand.
      - schema: {columns: {product_id: integer, price: double}}

  legacy_products:
    source: legacy
    table: products   # same rows, older system
"""


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    return write_catalogue(tmp_path)


def write_catalogue(directory: Path) -> Catalogue:
    rows = catalogue_rows()
    duckdb_path = directory / "warehouse.duckdb"
    names = [column.split()[0] for column in COLUMNS]
    arrow_rows = pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in rows])
    with duckdb.connect(str(duckdb_path)) as connection:
        connection.execute(f"CREATE TABLE products ({', '.join(COLUMNS)})")
        connection.register("arrow_rows", arrow_rows)
        connection.execute("INSERT INTO products SELECT * FROM arrow_rows")
    sqlite_path = directory / "legacy.sqlite"
    with sqlite3.connect(sqlite_path) as connection:
        columns = [
            f"{name} {SQLITE_TYPES.get(kind, kind)}" for name, kind in (c.split() for c in COLUMNS)
        ]
        connection.execute(f"CREATE TABLE products ({', '.join(columns)})")
        connection.executemany(
            f"INSERT INTO products VALUES ({', '.join('?' for _ in COLUMNS)})",
            [_sqlite_row(row) for row in rows],
        )
    config = directory / "steward.yml"
    config.write_text(CONFIG, encoding="utf-8")
    return Catalogue(directory, config, duckdb_path, sqlite_path)


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        value.isoformat(sep=" ") if isinstance(value, datetime)
        else value.isoformat() if isinstance(value, date)
        else value
        for value in row
    )  # fmt: skip
