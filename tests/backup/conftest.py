"""Real sources, real repositories and the real ``steward`` command for the backup tests.

A :class:`Workspace` is a project folder: it writes ``steward.yml`` for one source, puts
Arrow tables into that source as its live data (a Parquet or CSV file, a DuckDB or
SQLite table, a PostgreSQL table), reads datasets back the way Steward's engines see
them, and runs ``steward`` as a separate process or calls the backup services directly.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from datasteward.config import Project, load_project
from datasteward.repository import keys
from datasteward.services.backup import (
    Manifest,
    RestoreResult,
    backup_dataset,
    open_repository,
    restore_snapshot,
    snapshots,
)
from datasteward.services.sources import SourcePool

PASSPHRASE_ENV = "STEWARD_TEST_BACKUP_PASSPHRASE"
PASSPHRASE = "correct horse battery staple"
SOURCE_KINDS = ["parquet", "csv", "duckdb", "sqlite", "postgres"]


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Repositories created in-process use a cheap argon2id; every open reads the
    parameters from the repository's config, so ``steward`` subprocesses stay cheap too."""
    monkeypatch.setattr(keys, "KDF_MEMORY_KIB", 1024)
    monkeypatch.setattr(keys, "KDF_ITERATIONS", 1)


# -- the sample table: every type the issue names ------------------------------------------

SAMPLE_TEXTS = [
    "plain",
    "ünïcödé — naïve café",
    "emoji 😀🚀 and 汉字 and עברית",
    'comma, "quotes" and a\nnewline',
    "combining e\u0301 and tab\t",
    "",
]


def sample_table(rows: int = 60, *, binary: bool = True, offset: int = 0) -> pa.Table:
    """Decimals, zoned and naive timestamps, dates, blobs, unicode, NULLs, booleans."""
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    data: dict[str, list[Any]] = {
        "id": [],
        "amount": [],
        "name": [],
        "created_at": [],
        "local_time": [],
        "day": [],
        "paid": [],
        "score": [],
        "payload": [],
    }
    for n in range(offset, offset + rows):
        data["id"].append(n)
        data["amount"].append(None if n % 7 == 3 else Decimal(n * 1234567 % 99999999) / 100 - 5)
        text = SAMPLE_TEXTS[n % len(SAMPLE_TEXTS)]
        data["name"].append(None if n % 9 == 4 else "" if n % 13 == 0 else f"{text} {n}")
        moment = datetime(2026, 1, 5, 6, 0, 0, 123456, tzinfo=zones[n % 3]) + timedelta(hours=n)
        data["created_at"].append(None if n % 11 == 5 else moment)
        data["local_time"].append(datetime(2025, 12, 31, 23, 59, 59, 999999) + timedelta(days=n))
        data["day"].append(None if n % 6 == 1 else date(2024, 2, 29) + timedelta(days=n))
        data["paid"].append(None if n % 5 == 2 else n % 2 == 0)
        data["score"].append(None if n % 8 == 6 else n / 3 - 7.5)
        data["payload"].append(None if n % 10 == 7 else bytes([n % 256, 0, 255, 10, 13]) * 3)
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("amount", pa.decimal128(12, 2)),
            ("name", pa.string()),
            ("created_at", pa.timestamp("us", tz="UTC")),
            ("local_time", pa.timestamp("us")),
            ("day", pa.date32()),
            ("paid", pa.bool_()),
            ("score", pa.float64()),
            ("payload", pa.binary()),
        ]
    )
    table = pa.Table.from_pydict(data, schema=schema)
    return table if binary else table.drop_columns(["payload"])


# -- comparing data ------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), value.utcoffset())
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    return (type(value).__name__, value)


def multiset(table: pa.Table) -> Counter[tuple[Any, ...]]:
    """The rows of a table as a multiset (floats compared bit for bit, NaN equal to NaN)."""
    return Counter(tuple(_canonical(v) for v in row.values()) for row in table.to_pylist())


def assert_same_data(actual: pa.Table, expected: pa.Table) -> None:
    """Same column names, order and Arrow types, and the same rows as a multiset."""
    assert actual.schema.names == expected.schema.names
    assert [str(f.type) for f in actual.schema] == [str(f.type) for f in expected.schema]
    assert actual.num_rows == expected.num_rows
    missing = multiset(expected) - multiset(actual)
    extra = multiset(actual) - multiset(expected)
    assert not missing and not extra, f"missing {list(missing)[:3]}, extra {list(extra)[:3]}"


def except_all_counts(left: pa.Table, right: pa.Table) -> tuple[int, int]:
    """Rows of ``left`` not in ``right`` and the reverse, as DuckDB's EXCEPT ALL counts."""
    connection = duckdb.connect()
    try:
        connection.register("left_rows", left)
        connection.register("right_rows", right)
        one = "SELECT count(*) FROM (SELECT * FROM left_rows EXCEPT ALL SELECT * FROM right_rows)"
        two = "SELECT count(*) FROM (SELECT * FROM right_rows EXCEPT ALL SELECT * FROM left_rows)"
        return connection.execute(one).fetchall()[0][0], connection.execute(two).fetchall()[0][0]
    finally:
        connection.close()


def fingerprint(table: pa.Table) -> tuple[int, int]:
    """Row count and an order-independent hash sum, for "old or new, never mixed"."""
    connection = duckdb.connect()
    try:
        connection.register("rows_in", table)
        columns = ", ".join(f'"{n}"' for n in table.schema.names)
        row = connection.execute(
            f"SELECT count(*), coalesce(sum(hash({columns})::HUGEINT), 0) FROM rows_in"
        ).fetchall()[0]
        return int(row[0]), int(row[1])
    finally:
        connection.close()


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


# -- the project around a source -----------------------------------------------------------


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


class Workspace:
    """A project folder: ``steward.yml``, its live data, and ways to run Steward on it."""

    def __init__(self, folder: Path, live: Live) -> None:
        self.folder = folder
        self.live = live
        self.env: dict[str, str] = {}
        self.datasets: dict[str, dict[str, Any]] = {}
        self.backups: dict[str, Any] = {"repository": str(folder / "repo")}
        self.configure(["orders", "restored"])

    # -- configuration ---------------------------------------------------------------------
    def configure(
        self,
        names: list[str],
        *,
        keys: dict[str, list[str]] | None = None,
        checks: dict[str, list[Any]] | None = None,
        backups: dict[str, Any] | None = None,
    ) -> None:
        """Write ``steward.yml`` (JSON is YAML) with one dataset per name."""
        keys = {"orders": ["id"]} if keys is None else keys
        self.datasets = {}
        for name in names:
            entry = self.live.dataset(name)
            if keys.get(name):
                entry["key"] = keys[name]
            if checks and checks.get(name):
                entry["checks"] = checks[name]
            self.datasets[name] = entry
        if backups is not None:
            self.backups = {"repository": str(self.folder / "repo"), **backups}
        config = {
            "version": 1,
            "store": f"sqlite:///{self.folder / 'store.db'}",
            "backups": self.backups,
            "sources": {"src": self.live.source()},
            "datasets": self.datasets,
        }
        self.config.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    def encrypt(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Configure an encrypted repository and export its passphrase (here and for
        subprocesses); the repository is created now, with the cheap test KDF."""
        self.backups = {**self.backups, "encryption": {"passphrase_env": PASSPHRASE_ENV}}
        self.configure(list(self.datasets), keys=self._keys())
        self.env[PASSPHRASE_ENV] = PASSPHRASE
        monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
        assert open_repository(self.project).encrypted

    def _keys(self) -> dict[str, list[str]]:
        return {name: entry.get("key", []) for name, entry in self.datasets.items()}

    @property
    def config(self) -> Path:
        return self.folder / "steward.yml"

    @property
    def project(self) -> Project:
        return load_project(self.config)

    @property
    def repository(self) -> Path:
        return Path(self.backups["repository"])

    # -- data ------------------------------------------------------------------------------
    def put(self, table: pa.Table, name: str = "orders") -> None:
        self.live.put(name, table)

    def read(self, name: str = "orders") -> pa.Table:
        """The dataset's rows as Steward's engine reads them: what a snapshot holds."""
        with SourcePool(self.project) as pool:
            ref = pool.dataset(name)
            return ref.engine.stream(exp.select("*").from_(ref.relation.copy())).read_all()

    # -- services, in this process ---------------------------------------------------------
    def backup(self, name: str = "orders", **options: Any) -> Manifest:
        return backup_dataset(self.project, name, **options)

    def restore(self, manifest: Manifest, **target: Any) -> RestoreResult:
        return restore_snapshot(self.project, manifest, **target)

    def snapshots(self, name: str | None = "orders") -> list[Manifest]:
        return snapshots(open_repository(self.project, create=False), name)

    # -- the command, in another process ---------------------------------------------------
    def environment(self, env: dict[str, str | None] | None) -> dict[str, str]:
        """The variables of a user's shell; ``None`` in ``env`` unsets one."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
        environment.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
        environment.update(self.env)
        for name, value in (env or {}).items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        return environment

    def steward(
        self, *args: str | os.PathLike[str], env: dict[str, str | None] | None = None
    ) -> Result:
        """Run ``steward ARGS`` as a user would: a fresh process without a terminal."""
        texts = tuple(str(a) for a in args)
        completed = subprocess.run(
            [*steward_command(), *texts, "-c", str(self.config)],
            cwd=self.folder,
            env=self.environment(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Result(texts, completed.returncode, completed.stdout, completed.stderr)

    def cli(self, *args: str | os.PathLike[str], env: dict[str, str | None] | None = None) -> Result:
        """Run the ``steward`` entry point in this process: the same typer app and error
        handling as the command, without the start-up cost. stdin is not a terminal."""
        from datasteward.cli.main import run

        texts = tuple(str(a) for a in args)
        stdout, stderr = io.StringIO(), io.StringIO()
        saved_environ, saved_argv, saved_stdin = dict(os.environ), sys.argv, sys.stdin
        os.environ.clear()
        os.environ.update(self.environment(env))
        sys.argv = ["steward", *texts, "-c", str(self.config)]
        sys.stdin = io.StringIO()
        code: int | str | None = 0
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                run()
        except SystemExit as exit:
            code = exit.code
        finally:
            os.environ.clear()
            os.environ.update(saved_environ)
            sys.argv, sys.stdin = saved_argv, saved_stdin
        returncode = code if isinstance(code, int) else (0 if code is None else 1)
        return Result(texts, returncode, stdout.getvalue(), stderr.getvalue())

    def start(self, *args: str | os.PathLike[str]) -> subprocess.Popen[str]:
        """Start ``steward ARGS`` without waiting (to kill it, or to race another)."""
        return subprocess.Popen(
            [*steward_command(), *(str(a) for a in args), "-c", str(self.config)],
            cwd=self.folder,
            env=self.environment(None),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


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


@pytest.fixture
def duckdb_workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path, make_live("duckdb", tmp_path))


@pytest.fixture
def parquet_workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path, make_live("parquet", tmp_path))


@pytest.fixture(params=SOURCE_KINDS)
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """One workspace per kind of source (PostgreSQL only starts when asked for)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    yield Workspace(tmp_path, make_live(request.param, tmp_path, url))
