"""The missing-value matrix is one aggregate query that every engine answers alike."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasteward.config import parse_project
from datasteward.services.report.missing import missing_matrix
from datasteward.services.sources import SourcePool

# 12 rows in stored order: `b` is missing in the first 6, `c` in every third row.
IDS = list(range(1, 13))
B = [None] * 6 + [f"v{i}" for i in range(6)]
C = [None if i % 3 == 0 else float(i) for i in range(12)]
TABLE = pa.table({"id": IDS, "b": B, "c": C})


def _files(folder: Path, _: str | None) -> str:
    pq.write_table(TABLE, folder / "t.parquet")
    return "sources: {s: {type: files, root: .}}\ndatasets: {t: {source: s, path: t.parquet}}\n"


def _duckdb(folder: Path, _: str | None) -> str:
    with duckdb.connect(str(folder / "w.duckdb")) as con:
        con.register("source_rows", TABLE)
        con.execute("CREATE TABLE t AS SELECT * FROM source_rows")
    return "sources: {s: {type: duckdb, path: w.duckdb}}\ndatasets: {t: {source: s, table: t}}\n"


def _sqlite(folder: Path, _: str | None) -> str:
    with sqlite3.connect(folder / "l.sqlite") as con:
        con.execute("CREATE TABLE t (id INTEGER, b TEXT, c REAL)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", zip(IDS, B, C, strict=True))
    return "sources: {s: {type: sqlite, path: l.sqlite}}\ndatasets: {t: {source: s, table: t}}\n"


def _postgres(folder: Path, url: str | None) -> str:
    import psycopg

    assert url is not None
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    table = f"t_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(plain, autocommit=True) as con:
        con.execute(f"CREATE TABLE {table} (id INTEGER, b TEXT, c DOUBLE PRECISION)")
        with con.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} VALUES (%s, %s, %s)", list(zip(IDS, B, C, strict=True))
            )
    return (
        f'sources: {{s: {{type: postgres, url: "{plain}"}}}}\n'
        f"datasets: {{t: {{source: s, table: {table}}}}}\n"
    )


SOURCES = {"files": _files, "duckdb": _duckdb, "sqlite": _sqlite, "postgres": _postgres}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_nulls_per_column_and_band(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("postgres_url") if kind == "postgres" else None
    project = parse_project(SOURCES[kind](tmp_path, url), base_dir=tmp_path)
    with SourcePool(project) as pool:
        matrix = missing_matrix(pool.dataset("t"), bands=4)
    assert matrix is not None
    assert matrix.columns == ["id", "b", "c"]
    assert matrix.band_rows == [3, 3, 3, 3]
    assert [band[1] for band in matrix.fractions] == [1.0, 1.0, 0.0, 0.0]
    assert [band[2] for band in matrix.fractions] == pytest.approx([1 / 3] * 4)
    assert [matrix.column_fraction(i) for i in range(3)] == pytest.approx([0, 0.5, 1 / 3])
    assert matrix.band_range(1) == (4, 6)


def test_an_empty_dataset_has_no_matrix(tmp_path: Path) -> None:
    pq.write_table(TABLE.slice(0, 0), tmp_path / "t.parquet")
    project = parse_project(
        "sources: {s: {type: files, root: .}}\ndatasets: {t: {source: s, path: t.parquet}}\n",
        base_dir=tmp_path,
    )
    with SourcePool(project) as pool:
        assert missing_matrix(pool.dataset("t")) is None
