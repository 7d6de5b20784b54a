"""Orders with planted anomalies, stored in every kind of source Steward reads.

50,000 ordinary orders: ``amount`` is about twice ``price``; ``weight`` and ``delay`` are
independent; ``weight`` is NULL in about 1% of rows. Ten planted rows:

- six whose price and amount are each ordinary (about 1.7 standard deviations out) but
  impossible together: a high price with a low amount, or the reverse;
- two with an extreme weight and two with an extreme delay (11 to 15 deviations out).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasteward.config import parse_project
from datasteward.config.models import Project

ROWS = 50_000
SOURCE_KINDS = ["parquet", "duckdb", "sqlite", "postgres"]


@dataclass(frozen=True)
class Orders:
    table: pa.Table
    planted: dict[int, set[str]]  # order id → the columns that make the row unusual


def planted_orders(rows: int = ROWS, seed: int = 7) -> Orders:
    rng = np.random.default_rng(seed)
    price = np.round(rng.normal(100, 15, rows), 2)
    amount = np.round(2 * price + rng.normal(0, 3, rows), 2)
    weight = rng.normal(50, 10, rows)
    delay = rng.normal(5, 1, rows)
    where = rng.choice(rows, 10, replace=False)
    planted: dict[int, set[str]] = {}
    for n, i in enumerate(where):
        if n < 6:
            sign = 1 if n % 2 else -1
            price[i], amount[i] = 100 + sign * 25, 2 * (100 - sign * 25)
            planted[int(i)] = {"price", "amount"}
        elif n < 8:
            weight[i] = 50 + (12 if n == 6 else -14) * 10
            planted[int(i)] = {"weight"}
        else:
            delay[i] = 5 + (15 if n == 8 else -11)
            planted[int(i)] = {"delay"}
    nulls = (rng.random(rows) < 0.01) & ~np.isin(np.arange(rows), where)
    table = pa.table(
        {
            "id": pa.array(np.arange(rows), pa.int64()),
            "price": price,
            "amount": amount,
            "weight": pa.array(weight, mask=nulls),
            "delay": delay,
            "status": rng.choice(["new", "paid", "shipped"], rows),
        }
    )
    return Orders(table, planted)


@pytest.fixture(scope="session")
def orders() -> Orders:
    return planted_orders()


@pytest.fixture(scope="session")
def project_for(
    orders: Orders, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Callable[[str], Project]:
    """``project_for(kind)``: a project whose dataset ``orders`` lives in that kind of source."""
    made: dict[str, Project] = {}

    def make(kind: str) -> Project:
        if kind not in made:
            folder = tmp_path_factory.mktemp(f"outliers-{kind}")
            url = request.getfixturevalue("postgres_url") if kind == "postgres" else ""
            text = write_source(kind, folder, orders.table, url)
            (folder / "steward.yml").write_text(text, encoding="utf-8")
            made[kind] = parse_project(text, base_dir=folder)
        return made[kind]

    return make


def write_source(kind: str, folder: Path, table: pa.Table, postgres_url: str = "") -> str:
    """Store ``table`` as dataset ``orders`` (key ``id``) and return the steward.yml text."""
    dataset = "{source: src, table: orders, key: [id]}"
    if kind == "parquet":
        (folder / "data").mkdir()
        pq.write_table(table, folder / "data" / "orders.parquet")
        source = "{type: files, root: data}"
        dataset = "{source: src, path: orders.parquet, key: [id]}"
    elif kind == "duckdb":
        with duckdb.connect(str(folder / "shop.duckdb")) as connection:
            connection.register("incoming", table)
            connection.execute("CREATE TABLE orders AS SELECT * FROM incoming")
        source = "{type: duckdb, path: shop.duckdb}"
    elif kind == "sqlite":
        with sqlite3.connect(folder / "shop.sqlite") as connection:
            connection.execute(
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, price DOUBLE, amount DOUBLE,"
                " weight DOUBLE, delay DOUBLE, status TEXT)"
            )
            connection.executemany(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)",
                (tuple(row.values()) for row in table.to_pylist()),
            )
        source = "{type: sqlite, path: shop.sqlite}"
    else:
        url = _database(postgres_url, f"outliers_{folder.name.replace('-', '_')}")
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                "CREATE TABLE orders (id bigint PRIMARY KEY, price float8, amount float8,"
                " weight float8, delay float8, status text)"
            )
            with connection.cursor().copy("COPY orders FROM STDIN") as copy:
                for row in table.to_pylist():
                    copy.write_row(tuple(row.values()))
        source = f'{{type: postgres, url: "{url}"}}'
    return f"version: 1\nsources:\n  src: {source}\ndatasets:\n  orders: {dataset}\n"


def _database(server_url: str, name: str) -> str:
    """A new database on the test server, as a psycopg URL."""
    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    before, _, after = admin.partition("?")
    return f"{before.rsplit('/', 1)[0]}/{name}" + (f"?{after}" if after else "")


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def steward() -> Callable[..., Result]:
    """``steward(*args, cwd=DIR)``: the real command in a fresh process, without a terminal."""

    def run(*args: str, cwd: Path) -> Result:
        script = Path(sys.executable).with_name("steward")
        command = (
            [str(script)] if script.exists() else [sys.executable, "-m", "datasteward.cli.main"]
        )
        environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
        environment.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
        done = subprocess.run(
            [*command, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run
