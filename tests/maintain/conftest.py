"""Real sources and the real ``steward`` command for the maintenance tests.

A :class:`Shop` is a project folder whose ``orders`` dataset lives in one kind of source
(a CSV or Parquet file, a DuckDB or SQLite table, a PostgreSQL table). It reads the
dataset back through Steward's own engine, and runs ``steward`` as a separate process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from datasteward.config import Project, load_project
from datasteward.repository import keys
from datasteward.services.sources import SourcePool

SOURCE_KINDS = ["csv", "parquet", "duckdb", "sqlite", "postgres"]

COLUMNS = ["id", "status", "amount", "email", "seq"]
ORDERS: list[tuple[Any, ...]] = [
    (1, "new", 10.0, " A@X.com ", 1),
    (2, "paid", 20.0, "b@x.com", 2),
    (3, "bogus", None, None, 3),
    (4, "new", -5.0, "c@x.com", 4),
    (4, "paid", -6.0, "d@x.com", 5),
    (5, None, 7.0, "e@x.com", 6),
]
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("status", pa.string()),
        ("amount", pa.float64()),
        ("email", pa.string()),
        ("seq", pa.int64()),
    ]
)
_SQLITE_TYPES = {pa.int64(): "INTEGER", pa.float64(): "REAL", pa.string(): "TEXT"}
_POSTGRES_TYPES = {pa.int64(): "bigint", pa.float64(): "double precision", pa.string(): "text"}
CHECKS = [
    "in_set: {column: status, values: [new, paid]}",
    "between: {column: amount, min: 0}",
    "not_null: email",
    "unique: id",
    "row_count: {min: 1}",
]


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "KDF_MEMORY_KIB", 1024)
    monkeypatch.setattr(keys, "KDF_ITERATIONS", 1)


def rows_table(rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(COLUMNS, r, strict=True)) for r in rows], schema=SCHEMA)


def multiset(rows: Sequence[Sequence[Any]]) -> Counter[tuple[Any, ...]]:
    """Rows as a multiset; 10 and 10.0 are equal (a CSV may read either back)."""
    return Counter(tuple(row) for row in rows)


@dataclass(frozen=True)
class Result:
    """What one ``steward`` process did."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def error_line(self) -> str:
        """The one line a user error prints; fails unless there is exactly one."""
        assert "Traceback" not in self.stderr, self.describe()
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected exactly one line on stderr\n{self.describe()}"
        assert lines[0].startswith("error: "), self.describe()
        return lines[0]

    def describe(self) -> str:
        return (
            f"$ steward {' '.join(self.args)}\nexit code {self.returncode}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


def steward_command() -> list[str]:
    script = Path(sys.executable).with_name("steward")
    return [str(script)] if script.exists() else [sys.executable, "-m", "datasteward.cli.main"]


def steward_environment() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    environment.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    return environment


class Shop:
    """A project with an ``orders`` dataset in one kind of source."""

    def __init__(self, folder: Path, kind: str, postgres_url: str | None = None) -> None:
        self.folder = folder
        self.kind = kind
        self.postgres_url = postgres_url
        self.schema = f"shop_{uuid.uuid4().hex[:10]}"
        self.store = f"sqlite:///{folder / 'steward.db'}"
        self.extra_config = ""
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "postgres":
            self.pg(f'CREATE SCHEMA "{self.schema}"')
        self.put(ORDERS)
        self.configure()

    # -- configuration ---------------------------------------------------------------------
    @property
    def config(self) -> Path:
        return self.folder / "steward.yml"

    def configure(self, *, checks: Sequence[str] = CHECKS, key: Sequence[str] = ("id",)) -> None:
        lines = [
            "version: 1",
            f"store: {json.dumps(self.store)}",
            f"backups: {{repository: {json.dumps(str(self.folder / 'repo'))}}}",
            "sources:",
            f"  src: {json.dumps(self._source())}",
            "datasets:",
            "  orders:",
            *(f"    {k}: {json.dumps(v)}" for k, v in self._location().items()),
            f"    key: {json.dumps(list(key))}",
            "    checks:",
            *(f"      - {check}" for check in checks),
        ]
        self.config.write_text("\n".join(lines) + "\n" + self.extra_config, encoding="utf-8")

    def _source(self) -> dict[str, Any]:
        if self.kind in ("csv", "parquet"):
            return {"type": "files", "root": str(self.folder / "data")}
        if self.kind == "postgres":
            assert self.postgres_url is not None
            return {"type": "postgres", "url": self.postgres_url}
        return {"type": self.kind, "path": str(self.database)}

    def _location(self) -> dict[str, Any]:
        if self.kind in ("csv", "parquet"):
            return {"source": "src", "path": f"orders.{self.kind}"}
        return {"source": "src", "table": self.table_name("orders")}

    def table_name(self, name: str) -> str:
        return f"{self.schema}.{name}" if self.kind == "postgres" else name

    @property
    def database(self) -> Path:
        return self.folder / f"shop.{self.kind}"

    @property
    def file(self) -> Path:
        return self.folder / "data" / f"orders.{self.kind}"

    def project(self) -> Project:
        return load_project(self.config)

    # -- live data -------------------------------------------------------------------------
    def put(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Replace the live orders (outside Steward)."""
        self.put_table(rows_table(rows))

    def put_table(self, table: pa.Table) -> None:
        if self.kind == "csv":
            self.file.parent.mkdir(parents=True, exist_ok=True)
            pa_csv.write_csv(table, self.file)
        elif self.kind == "parquet":
            self.file.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, self.file)
        elif self.kind == "duckdb":
            with duckdb.connect(str(self.database)) as connection:
                connection.register("rows_in", table)
                connection.execute("CREATE OR REPLACE TABLE orders AS SELECT * FROM rows_in")
        elif self.kind == "sqlite":
            self._put_sqlite(table)
        else:
            self._put_postgres(table)

    def _put_sqlite(self, table: pa.Table) -> None:
        columns = ", ".join(f'"{f.name}" {_SQLITE_TYPES[f.type]}' for f in table.schema)
        marks = ", ".join("?" for _ in table.schema)
        connection = sqlite3.connect(self.database)
        try:
            with connection:
                connection.execute("DROP TABLE IF EXISTS orders")
                connection.execute(f"CREATE TABLE orders ({columns})")
                rows = [tuple(r.values()) for r in table.to_pylist()]
                connection.executemany(f"INSERT INTO orders VALUES ({marks})", rows)
        finally:
            connection.close()

    def _put_postgres(self, table: pa.Table) -> None:
        full = f'"{self.schema}"."orders"'
        columns = ", ".join(f'"{f.name}" {_POSTGRES_TYPES[f.type]}' for f in table.schema)
        with self.pg_connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {full}")
            cursor.execute(f"CREATE TABLE {full} ({columns})")
            with cursor.copy(f"COPY {full} FROM STDIN") as copy:
                for row in table.to_pylist():
                    copy.write_row(tuple(row.values()))

    def pg_connect(self) -> Any:
        import psycopg

        assert self.postgres_url is not None
        return psycopg.connect(self.postgres_url, autocommit=True)

    def pg(self, statement: str) -> None:
        with self.pg_connect() as connection:
            connection.execute(statement)

    def rows(self) -> list[tuple[Any, ...]]:
        """The live orders, read through Steward's engine for the source."""
        return self.read(exp.select("*").from_(self.relation()))

    def relation(self) -> exp.Expr:
        with SourcePool(self.project()) as pool:
            return pool.dataset("orders").relation

    def read(self, query: exp.Select) -> list[tuple[Any, ...]]:
        with SourcePool(self.project()) as pool:
            return list(pool.dataset("orders").engine.fetch(query).rows)

    def quarantined(self) -> list[dict[str, Any]]:
        """The rows of the orders' quarantine (table or Parquet file), oldest first."""
        if self.kind in ("csv", "parquet"):
            path = self.file.with_name("orders_quarantine.parquet")
            return pq.read_table(path).to_pylist() if path.exists() else []
        table = exp.to_table(self.table_name("orders_quarantine"), dialect="postgres")
        query = exp.select("*").from_(table)
        with SourcePool(self.project()) as pool:
            engine = pool.engine("src")
            return engine.fetch(query).as_dicts()

    # -- running steward -------------------------------------------------------------------
    def steward(self, *args: str, timeout: float = 180) -> Result:
        completed = subprocess.run(
            [*steward_command(), *args],
            cwd=self.folder,
            env=steward_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        return Result(tuple(args), completed.returncode, completed.stdout, completed.stderr)

    def ok(self, *args: str) -> Result:
        result = self.steward(*args)
        assert result.returncode == 0, result.describe()
        return result


@pytest.fixture(params=SOURCE_KINDS)
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    """The orders in each kind of source."""
    yield make_shop(request, tmp_path, request.param)


def make_shop(request: pytest.FixtureRequest, folder: Path, kind: str) -> Shop:
    url = None
    if kind == "postgres":
        url = request.getfixturevalue("postgres_url").replace("+psycopg", "", 1)
    return Shop(folder, kind, url)
