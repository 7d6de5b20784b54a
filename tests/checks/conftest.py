"""The check catalogue cases (cases.yml) and the engines they run on.

Every table of cases.yml is written once into each engine: a DuckDB file, a SQLite file,
a fresh PostgreSQL database on the session's real server, and a pandas DataFrame. The
database engines are scanned through a steward.yml in a temporary folder, exactly as a
user would; DataFrames go through ``datasteward.validate``. Each table is scanned once per
engine with all its checks (so the checks share one aggregate query) and the results are
cached for the per-case tests.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import psycopg
import pyarrow as pa
import pytest
from ruamel.yaml import YAML

import datasteward
from datasteward.checks.catalogue import build_checks
from datasteward.config.loader import load_project
from datasteward.config.models import CheckSpec
from datasteward.model import CheckResult
from datasteward.services.scan import scan

CASES_FILE = Path(__file__).with_name("cases.yml")
AS_OF = datetime(2024, 3, 2, tzinfo=UTC)
ENGINES = ("duckdb", "sqlite", "postgres", "dataframe")

# Column type family → the type each engine stores it as.
_DDL_TYPES = {
    "duckdb": {
        "integer": "BIGINT",
        "double": "DOUBLE",
        "string": "VARCHAR",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
    },
    "sqlite": {
        "integer": "INTEGER",
        "double": "REAL",
        "string": "TEXT",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
    },
    "postgres": {
        "integer": "bigint",
        "double": "double precision",
        "string": "text",
        "date": "date",
        "timestamp": "timestamp",
    },
}
_PANDAS_DTYPES: dict[str, Any] = {
    "integer": "Int64",
    "double": "float64",
    "string": "str",
    "date": pd.ArrowDtype(pa.date32()),
    "timestamp": "datetime64[us]",
}


@dataclass(frozen=True)
class Case:
    """One check as written in steward.yml and the entries it must produce."""

    table: str
    id: str
    check: dict[str, Any]
    expect: list[dict[str, Any]]

    def __str__(self) -> str:
        return f"{self.table}-{self.id}"


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, str]  # column name → type family
    rows: list[tuple[Any, ...]]
    cases: list[Case]
    # index of each case's first result entry in the table's scan
    offsets: dict[str, int] = field(default_factory=dict)


@cache
def load_tables(path: Path = CASES_FILE) -> dict[str, Table]:
    """Read cases.yml into tables with typed rows and their cases."""
    document = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    tables = {}
    for name, spec in document.items():
        columns = dict(spec["columns"])
        rows = [_typed_row(name, columns, row) for row in spec["rows"]]
        cases = [_case(name, raw) for raw in spec.get("cases", [])]
        ids = [case.id for case in cases]
        duplicates = {i for i in ids if ids.count(i) > 1}
        assert not duplicates, f"{name}: duplicate case ids {duplicates}"
        offsets, position = {}, 0
        for case in cases:
            offsets[case.id] = position
            position += expansion(case.check)
        tables[name] = Table(name, columns, rows, cases, offsets)
    return tables


def expansion(check: dict[str, Any]) -> int:
    """How many result entries a check stands for (``not_null: [a, b]`` gives two)."""
    ((check_type, params),) = check.items()
    return len(build_checks(CheckSpec(type=check_type, params=params)))


def _case(table: str, raw: dict[str, Any]) -> Case:
    expect = raw["expect"]
    expected = [dict(e) for e in expect] if isinstance(expect, list) else [dict(expect)]
    case = Case(table, str(raw["id"]), dict(raw["check"]), expected)
    assert expansion(case.check) == len(expected), f"{case}: one expectation per entry"
    return case


def _typed_row(table: str, columns: dict[str, str], row: Sequence[Any]) -> tuple[Any, ...]:
    assert len(row) == len(columns), f"{table}: row {row!r} does not match {list(columns)}"
    return tuple(_typed(kind, value) for kind, value in zip(columns.values(), row, strict=True))


def _typed(kind: str, value: Any) -> Any:
    if value is None:
        return None
    assert not isinstance(value, bool), f"write {value!r} in quotes: YAML read it as a boolean"
    if kind == "integer":
        return int(value)
    if kind == "double":
        return float(value)
    if kind == "string":
        return str(value)
    if kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(value)
    if kind == "timestamp":
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    raise AssertionError(f"unknown column type {kind!r}")


# -- writing the tables into each engine ------------------------------------------------
def _create_sql(engine: str, table: Table) -> str:
    types = _DDL_TYPES[engine]
    columns = ", ".join(f'"{name}" {types[kind]}' for name, kind in table.columns.items())
    return f'CREATE TABLE "{table.name}" ({columns})'


def _insert_sql(table: Table, marker: str) -> str:
    names = ", ".join(f'"{name}"' for name in table.columns)
    markers = ", ".join([marker] * len(table.columns))
    return f'INSERT INTO "{table.name}" ({names}) VALUES ({markers})'


def write_duckdb(path: Path, tables: dict[str, Table]) -> None:
    with duckdb.connect(str(path)) as connection:
        for table in tables.values():
            connection.execute(_create_sql("duckdb", table))
            if table.rows:
                connection.executemany(_insert_sql(table, "?"), table.rows)


def _sqlite_value(value: Any) -> Any:
    # SQLite has no date types: ISO text, the form its date functions read.
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_sqlite(path: Path, tables: dict[str, Table]) -> None:
    connection = sqlite3.connect(path)
    try:
        for table in tables.values():
            connection.execute(_create_sql("sqlite", table))
            rows = [tuple(_sqlite_value(v) for v in row) for row in table.rows]
            connection.executemany(_insert_sql(table, "?"), rows)
        connection.commit()
    finally:
        connection.close()


def write_postgres(url: str, tables: dict[str, Table]) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        for table in tables.values():
            connection.execute(_create_sql("postgres", table))
            if table.rows:
                with connection.cursor() as cursor:
                    cursor.executemany(_insert_sql(table, "%s"), table.rows)


def data_frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: pd.Series([row[i] for row in table.rows], dtype=_PANDAS_DTYPES[kind])
            for i, (name, kind) in enumerate(table.columns.items())
        }
    )


def fresh_postgres_database(admin_url: str, name: str) -> str:
    """Drop and create a database; return its URL (same server and credentials)."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    before, _, query = admin_url.partition("?")
    return f"{before.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


# -- scanning -----------------------------------------------------------------------------
Scanner = Callable[[str, list[dict[str, Any]], str], list[CheckResult]]


class Catalogue:
    """Scans each table once per engine; hands each case the entries it produced.

    When a whole-table scan raises (a crash, not a check status), each case is scanned
    alone, so the crash is reported by the case that causes it and not by its neighbours.
    """

    def __init__(self, tables: dict[str, Table], scanners: dict[str, Scanner]) -> None:
        self.tables = tables
        self.scanners = scanners
        self._tables: dict[tuple[str, str], list[CheckResult] | BaseException] = {}
        self._alone: dict[tuple[str, str, str], list[CheckResult]] = {}

    def results(self, engine: str, case: Case) -> list[CheckResult]:
        table = self.tables[case.table]
        whole = self._table_results(engine, table)
        if isinstance(whole, BaseException):
            key = (engine, table.name, case.id)
            if key not in self._alone:
                self._alone[key] = self.scanners[engine](table.name, [case.check], case.id)
            return self._alone[key]
        start = table.offsets[case.id]
        return whole[start : start + expansion(case.check)]

    def _table_results(self, engine: str, table: Table) -> list[CheckResult] | BaseException:
        key = (engine, table.name)
        if key not in self._tables:
            try:
                self._tables[key] = self.scanners[engine](
                    table.name, [case.check for case in table.cases], "all"
                )
            except Exception as error:  # reported by the case that causes it
                self._tables[key] = error
        return self._tables[key]


def _database_scanner(folder: Path, source: dict[str, Any], tables: dict[str, Table]) -> Scanner:
    def run(table: str, checks: list[dict[str, Any]], label: str) -> list[CheckResult]:
        config = {
            "version": 1,
            "sources": {"db": source},
            "datasets": {
                name: {
                    "source": "db",
                    "table": name,
                    **({"checks": checks} if name == table else {}),
                }
                for name in tables
            },
        }
        project_dir = folder / f"{table}-{label}"
        project_dir.mkdir(parents=True, exist_ok=True)
        path = project_dir / "steward.yml"
        # JSON is YAML flow style; it keeps every value exactly as the case wrote it.
        path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
        run = scan(load_project(path), [table], record=False, as_of=AS_OF)
        return run.datasets[0].checks

    return run


def _dataframe_scanner(tables: dict[str, Table]) -> Scanner:
    frames = {name: data_frame(table) for name, table in tables.items()}

    def run(table: str, checks: list[dict[str, Any]], label: str) -> list[CheckResult]:
        others = {name: frame for name, frame in frames.items() if name != table}
        result = datasteward.validate(
            frames[table], checks, name=table, as_of=AS_OF, references=others
        )
        return result.checks

    return run


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests asking for ``case`` and ``engine`` run once per case of cases.yml per engine."""
    if not {"case", "engine"} <= set(metafunc.fixturenames):
        return
    cases = [case for table in load_tables().values() for case in table.cases]
    metafunc.parametrize(
        ("case", "engine"),
        [pytest.param(case, engine, id=f"{case}-{engine}") for case in cases for engine in ENGINES],
    )


@pytest.fixture(scope="module")
def catalogue(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str, request: pytest.FixtureRequest
) -> Iterator[Catalogue]:
    """Every table of cases.yml in every engine, scanned on demand."""
    tables = load_tables()
    folder = tmp_path_factory.mktemp("catalogue")
    write_duckdb(folder / "warehouse.duckdb", tables)
    write_sqlite(folder / "legacy.sqlite", tables)
    database = "steward_" + request.module.__name__.rsplit(".", 1)[-1]
    admin_url = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    shop_url = fresh_postgres_database(admin_url, database)
    write_postgres(shop_url, tables)
    sources = {
        "duckdb": {"type": "duckdb", "path": str(folder / "warehouse.duckdb")},
        "sqlite": {"type": "sqlite", "path": str(folder / "legacy.sqlite")},
        "postgres": {"type": "postgres", "url": shop_url},
    }
    scanners = {
        engine: _database_scanner(folder / engine, source, tables)
        for engine, source in sources.items()
    }
    scanners["dataframe"] = _dataframe_scanner(tables)
    yield Catalogue(tables, scanners)
