"""``unique`` samples on key types the shared cases cannot write on every engine.

Each column holds one duplicated value (rows 1 and 2) and a value close to it that occurs
once (row 3): the samples must be rows 1 and 2 only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import psycopg

from datasteward.config.loader import load_project
from datasteward.services.scan import scan

from .conftest import fresh_postgres_database

# column → (DDL type, SQL literal of the duplicated value, SQL literal of the close value)
POSTGRES_KEYS = {
    "tz": ("timestamptz", "'2024-01-01 08:00:00.123456+02'", "'2024-01-01 08:00:00.123457+02'"),
    "f4": ("real", "0.1", "0.10000001"),
    "f8": ("double precision", "0.3", "0.1::float8 + 0.2::float8"),
    "num": ("numeric", "1.10", "1.1000001"),
    "raw": ("bytea", "'\\xff00'::bytea", "'\\xff01'::bytea"),
    "span": ("interval", "'1 day 02:00'", "'1 day 02:00:01'"),
    "uid": (
        "uuid",
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'",
    ),
    "words": ("text[]", "ARRAY['a,b', 'c']", "ARRAY['a', 'b,c']"),
    "padded": ("char(4)", "'ab'", "'abc'"),
}
DUCKDB_KEYS = {
    "tz": ("TIMESTAMPTZ", "'2024-01-01 08:00:00.123456+02'", "'2024-01-01 08:00:00.123457+02'"),
    "ns": ("TIMESTAMP_NS", "'2024-01-01 08:00:00.123456789'", "'2024-01-01 08:00:00.123456788'"),
    "f4": ("FLOAT", "0.1", "0.10000001"),
    "f8": ("DOUBLE", "0.3", "0.1::DOUBLE + 0.2::DOUBLE"),
    "num": ("DECIMAL(18,6)", "1.1", "1.100001"),
    "raw": ("BLOB", "'\\xFF\\x00'::BLOB", "'\\xFF\\x01'::BLOB"),
    "span": ("INTERVAL", "INTERVAL '26 hours'", "INTERVAL '26 hours 1 second'"),
    "uid": (
        "UUID",
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'",
    ),
    "words": ("VARCHAR[]", "['a, b', 'c']", "['a', 'b, c']"),
    "pair": ("STRUCT(a VARCHAR, b INTEGER)", "{'a': 'x''s', 'b': 1}", "{'a': 'x''s', 'b': 2}"),
    "big": (
        "HUGEINT",
        "170141183460469231731687303715884105727",
        "170141183460469231731687303715884105726",
    ),
    "clock": ("TIME", "'08:00:00.5'", "'08:00:00.6'"),
}


def _rows(keys: dict[str, tuple[str, str, str]]) -> list[str]:
    same = ", ".join(dup for _, dup, _ in keys.values())
    close = ", ".join(other for _, _, other in keys.values())
    return [f"(1, {same})", f"(2, {same})", f"(3, {close})"]


def _create(keys: dict[str, tuple[str, str, str]]) -> list[str]:
    columns = ", ".join(f"{name} {ddl}" for name, (ddl, _, _) in keys.items())
    return [
        f"CREATE TABLE t (id INTEGER, {columns})",
        f"INSERT INTO t VALUES {', '.join(_rows(keys))}",
    ]


def _scan(
    folder: Path, source: dict[str, Any], keys: dict[str, tuple[str, str, str]]
) -> dict[str, Any]:
    checks = [{"unique": {"column": name, "samples": 5}} for name in keys]
    config = {
        "version": 1,
        "sources": {"db": source},
        "datasets": {"t": {"source": "db", "table": "t", "checks": checks}},
    }
    path = folder / "steward.yml"
    path.write_text(json.dumps(config), encoding="utf-8")
    results = scan(load_project(path), ["t"], record=False).datasets[0].checks
    return {
        r.column: (r.status.value, r.failed_rows, sorted(s["id"] for s in r.samples), r.message)
        for r in results
    }


def test_postgres_key_types(postgres_url: str, tmp_path: Path) -> None:
    url = fresh_postgres_database(postgres_url.replace("+psycopg", ""), "unique_typed_keys")
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in _create(POSTGRES_KEYS):
            connection.execute(statement)
    found = _scan(tmp_path, {"type": "postgres", "url": url}, POSTGRES_KEYS)
    assert found == {name: ("fail", 2, [1, 2], found[name][3]) for name in POSTGRES_KEYS}


def test_duckdb_key_types(tmp_path: Path) -> None:
    database = tmp_path / "keys.duckdb"
    with duckdb.connect(str(database)) as connection:
        for statement in _create(DUCKDB_KEYS):
            connection.execute(statement)
    found = _scan(tmp_path, {"type": "duckdb", "path": str(database)}, DUCKDB_KEYS)
    assert found == {name: ("fail", 2, [1, 2], found[name][3]) for name in DUCKDB_KEYS}


def test_postgres_double_keys_where_the_server_rounds_their_text(
    postgres_url: str, tmp_path: Path
) -> None:
    """``extra_float_digits = 0`` (an older server's or a role's setting) prints doubles
    with 15 digits: the key 0.1 + 0.2 must still find its rows."""
    url = fresh_postgres_database(postgres_url.replace("+psycopg", ""), "unique_rounded_keys")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ALTER DATABASE unique_rounded_keys SET extra_float_digits = 0")
    keys = {"f8": ("double precision", "0.1::float8 + 0.2::float8", "0.3")}
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in _create(keys):
            connection.execute(statement)
    found = _scan(tmp_path, {"type": "postgres", "url": url}, keys)
    assert found["f8"][:3] == ("fail", 2, [1, 2])
