"""Live data in each kind of source: a Parquet or CSV file, a DuckDB, SQLite or
PostgreSQL table, written from an Arrow table the way its owner would."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

# -- live data in each kind of source ------------------------------------------------------


class Live:
    """One source; ``put`` replaces a dataset's live data with an Arrow table."""

    kind: str

    def source(self) -> dict[str, Any]:
        raise NotImplementedError

    def dataset(self, name: str) -> dict[str, Any]:
        raise NotImplementedError

    def table_name(self, name: str) -> str:
        """What ``--to-table`` is given to create the table (or file) ``name``."""
        return name

    def put(self, name: str, table: pa.Table) -> None:
        raise NotImplementedError


class ParquetLive(Live):
    kind = "parquet"

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def source(self) -> dict[str, Any]:
        return {"type": "files", "root": str(self.root)}

    def dataset(self, name: str) -> dict[str, Any]:
        return {"source": "src", "path": f"{name}.parquet"}

    def path(self, name: str) -> Path:
        return self.root / f"{name}.parquet"

    def put(self, name: str, table: pa.Table) -> None:
        pq.write_table(table, self.path(name))


class CsvLive(ParquetLive):
    kind = "csv"

    def dataset(self, name: str) -> dict[str, Any]:
        return {"source": "src", "path": f"{name}.csv"}

    def path(self, name: str) -> Path:
        return self.root / f"{name}.csv"

    def put(self, name: str, table: pa.Table) -> None:
        connection = duckdb.connect()
        try:
            connection.register("rows_in", table)
            target = str(self.path(name)).replace("'", "''")
            connection.execute(f"COPY (SELECT * FROM rows_in) TO '{target}' (HEADER)")
        finally:
            connection.close()


class DuckDBLive(Live):
    kind = "duckdb"

    def __init__(self, path: Path) -> None:
        self.path = path

    def source(self) -> dict[str, Any]:
        return {"type": "duckdb", "path": str(self.path)}

    def dataset(self, name: str) -> dict[str, Any]:
        return {"source": "src", "table": name}

    def put(self, name: str, table: pa.Table) -> None:
        with duckdb.connect(str(self.path)) as connection:
            connection.register("rows_in", table)
            connection.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM rows_in')

    def sql(self, *statements: str) -> None:
        with duckdb.connect(str(self.path)) as connection:
            for statement in statements:
                connection.execute(statement)


def _sqlite_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_integer(arrow_type) or pa.types.is_boolean(arrow_type):
        return "INTEGER"
    if pa.types.is_floating(arrow_type):
        return "REAL"
    if pa.types.is_binary(arrow_type):
        return "BLOB"
    return "TEXT"  # decimals, times and text keep their exact text


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class SQLiteLive(Live):
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    def source(self) -> dict[str, Any]:
        return {"type": "sqlite", "path": str(self.path)}

    def dataset(self, name: str) -> dict[str, Any]:
        return {"source": "src", "table": name}

    def put(self, name: str, table: pa.Table) -> None:
        columns = ", ".join(f'"{f.name}" {_sqlite_type(f.type)}' for f in table.schema)
        marks = ", ".join("?" for _ in table.schema)
        rows = [tuple(_sqlite_value(v) for v in row.values()) for row in table.to_pylist()]
        connection = sqlite3.connect(self.path)
        try:
            with connection:
                connection.execute(f'DROP TABLE IF EXISTS "{name}"')
                connection.execute(f'CREATE TABLE "{name}" ({columns})')
                connection.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
        finally:
            connection.close()


def _postgres_type(arrow_type: pa.DataType) -> str:
    t = pa.types
    if t.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    if t.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    simple = {
        pa.int64(): "bigint",
        pa.int32(): "integer",
        pa.float64(): "double precision",
        pa.string(): "text",
        pa.binary(): "bytea",
        pa.bool_(): "boolean",
        pa.date32(): "date",
    }
    return simple[arrow_type]


class PostgresLive(Live):
    kind = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        self.schema = f"backup_{uuid.uuid4().hex[:10]}"
        self.execute(f'CREATE SCHEMA "{self.schema}"')

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True)

    def execute(self, statement: str) -> None:
        with self.connect() as connection:
            connection.execute(statement)

    def source(self) -> dict[str, Any]:
        return {"type": "postgres", "url": self.url}

    def dataset(self, name: str) -> dict[str, Any]:
        return {"source": "src", "table": self.table_name(name)}

    def table_name(self, name: str) -> str:
        return f"{self.schema}.{name}"

    def put(self, name: str, table: pa.Table) -> None:
        full = f'"{self.schema}"."{name}"'
        columns = ", ".join(f'"{f.name}" {_postgres_type(f.type)}' for f in table.schema)
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {full}")
            cursor.execute(f"CREATE TABLE {full} ({columns})")
            with cursor.copy(f"COPY {full} FROM STDIN") as copy:
                for row in table.to_pylist():
                    copy.write_row(tuple(row.values()))


def make_live(kind: str, folder: Path, postgres_url: str | None = None) -> Live:
    if kind == "parquet":
        return ParquetLive(folder / "data")
    if kind == "csv":
        return CsvLive(folder / "data")
    if kind == "duckdb":
        return DuckDBLive(folder / "warehouse.duckdb")
    if kind == "sqlite":
        return SQLiteLive(folder / "legacy.sqlite")
    assert kind == "postgres" and postgres_url is not None
    return PostgresLive(postgres_url)
