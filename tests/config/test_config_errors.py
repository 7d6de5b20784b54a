"""Configuration mistakes: one ConfigError naming file:line:column, never another exception."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasteward.checks.catalogue import build_checks
from datasteward.config import load_project, parse_project
from datasteward.errors import ConfigError, ExitCode

LAKE = "sources:\n  lake: {type: files}\ndatasets:\n  o:\n    source: lake\n    path: x.csv\n"


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        project = parse_project(text, file="steward.yml", base_dir=Path("/project"))
        for dataset in project.datasets.values():
            for spec in dataset.checks:
                build_checks(spec)
    return caught.value


@pytest.mark.parametrize(
    ("text", "where", "key"),
    [
        pytest.param("version: 1\nstroe: x\n", (2, 1), "stroe", id="top-level"),
        pytest.param("backups:\n  repository: b\n  repo: x\n", (3, 3), "repo", id="backups"),
        pytest.param(
            "backups:\n  encryption: {passphrase_env: P, passphrase: x}\n",
            (2, 35),
            "passphrase",
            id="encryption",
        ),
        pytest.param(
            "sources:\n  lake:\n    type: files\n    rot: data\n", (4, 5), "rot", id="files-source"
        ),
        pytest.param(
            "sources:\n  wh: {type: duckdb, path: x.duckdb, table: t}\n",
            (2, 38),
            "table",
            id="duckdb-source",
        ),
        pytest.param(
            "sources:\n  db: {type: sqlite, path: x.db, url: u}\n", (2, 34), "url", id="sqlite"
        ),
        pytest.param(
            "sources:\n  pg: {type: postgres, url: u, password: x}\n",
            (2, 32),
            "password",
            id="postgres-source",
        ),
        pytest.param(LAKE + "    chekcs: []\n", (7, 5), "chekcs", id="dataset"),
        pytest.param(
            LAKE + "    checks:\n      - between: {column: a, min: 0, maks: 1}\n",
            (8, 38),
            "maks",
            id="check-parameter",
        ),
    ],
)
def test_unknown_keys_are_errors_at_every_level(
    text: str, where: tuple[int, int], key: str
) -> None:
    error = _error(text)
    assert (error.file, error.line, error.column) == ("steward.yml", *where)
    assert str(error).startswith(f"steward.yml:{where[0]}:{where[1]}: ")
    assert f"{key}'" in str(error) and "unknown" in str(error)
    assert error.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("verison: 1\n", "version"),
        (LAKE + "    chekcs: []\n", "checks"),
        ("sources:\n  lake: {type: files, rooot: data}\n", "root"),
        (LAKE + "    checks:\n      - not_nul: [a]\n", "not_null"),
        (LAKE + "    checks:\n      - between: {column: a, mn: 0}\n", "min"),
    ],
)
def test_typos_get_a_did_you_mean(text: str, suggestion: str) -> None:
    assert f"did you mean {suggestion!r}" in str(_error(text))


def test_the_hint_never_suggests_the_rejected_key_itself() -> None:
    # 'url' is a key of postgres sources, not of sqlite ones: suggesting 'url' is no help.
    message = str(_error("sources:\n  db: {type: sqlite, path: x.db, url: u}\n"))
    assert "did you mean 'url'" not in message, message


@pytest.mark.parametrize("key", ["base_dir", "config_file"])
def test_internal_fields_are_not_configuration_keys(key: str) -> None:
    # Project carries base_dir/config_file for the loader; a user writing them must hear
    # that they are unknown, not have them silently replaced.
    error = _error(f"{key}: /somewhere/else\n")
    assert (error.line, error.column) == (1, 1)
    assert key in str(error)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        pytest.param(
            LAKE.replace("    path: x.csv\n", ""), (4, 3), ["'o'", "needs 'path:'"], id="no-path"
        ),
        pytest.param(
            "sources:\n  db: {type: duckdb, path: w.duckdb}\n"
            "datasets:\n  o:\n    source: db\n    path: x.csv\n",
            (4, 3),
            ["'o'", "needs 'table:'"],
            id="no-table",
        ),
        pytest.param(
            "sources:\n  pg: {type: postgres, url: u}\ndatasets:\n  o: {source: pg}\n",
            (4, 3),
            ["needs 'table:'"],
            id="no-table-flow",
        ),
        pytest.param(
            LAKE + "    table: t\n", (7, 5), ["'table:' does not apply"], id="table-on-files"
        ),
        pytest.param(
            LAKE.replace("source: lake", "source: lak"),
            (5, 5),
            ["unknown source 'lak'", "did you mean 'lake'"],
            id="unknown-source",
        ),
        pytest.param(
            LAKE + "    checks:\n      - not_null: [a]\n      - not_null: [b]\n        unique: b\n",
            (9, 9),
            ["one key"],
            id="two-keys-in-one-check",
        ),
        pytest.param(
            LAKE + "    checks:\n      - not_null: [a]\n      - [a, b]\n",
            (9, 9),
            ["one key"],
            id="list-as-check",
        ),
        pytest.param(
            LAKE + "    checks:\n\n      - 42\n", (9, 9), ["one key"], id="number-as-check"
        ),
        pytest.param(
            LAKE + "    checks: {not_null: [a]}\n", (7, 5), ["must be a list"], id="checks-map"
        ),
        pytest.param(
            LAKE + "    checks:\n      - freshness: {column: t, max_age: soon}\n",
            (8, 32),
            ["invalid duration"],
            id="bad-duration",
        ),
        pytest.param("version: 2\n", (1, 1), ["version"], id="version"),
        pytest.param("- a\n- b\n", (1, 1), ["mapping"], id="not-a-mapping"),
        pytest.param("a: 1\na: 2\n", (2, 1), ["duplicate key"], id="duplicate-key"),
        pytest.param("version: 1\n\tstore: x\n", (2, 1), ["invalid YAML"], id="tab"),
        pytest.param(
            "sources:\n  lake: {type: files, root: data\n",
            None,
            ["invalid YAML"],
            id="unclosed-brace",
        ),
    ],
)
def test_structural_errors_point_at_their_line(
    text: str, where: tuple[int, int] | None, words: list[str]
) -> None:
    error = _error(text)
    message = str(error)
    if where is not None:
        assert (error.line, error.column) == where, message
    assert message.startswith("steward.yml:")
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found.*steward init"):
        load_project(tmp_path / "steward.yml")


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "steward.yml"
    path.write_bytes(b"version: 1\nstore: \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"steward\.yml"):
        load_project(path)


# -- property: any text loads or raises ConfigError ----------------------------------------

VALID: dict[str, Any] = {
    "version": 1,
    "store": "sqlite:///.steward/steward.db",
    "backups": {"repository": "b", "encryption": {"passphrase_env": "P"}},
    "sources": {
        "lake": {"type": "files", "root": "data"},
        "db": {"type": "sqlite", "path": "x.sqlite"},
        "pg": {"type": "postgres", "url": "postgresql://u@h/db"},
    },
    "datasets": {
        "orders": {
            "source": "lake",
            "path": "orders/*.parquet",
            "key": ["order_id"],
            "checks": [
                {"row_count": {"min": 1}},
                {"not_null": ["order_id", "customer_id"]},
                {"unique": "order_id"},
                {"between": {"column": "amount", "min": 0, "max": 10000, "severity": "warn"}},
                {"in_set": {"column": "status", "values": ["new", "paid"]}},
                {"regex": {"column": "email", "pattern": "^[^@]+@[^@]+$"}},
                {"length": {"column": "country", "min": 2, "max": 2}},
                {"missing_percent": {"column": "discount", "max": 95}},
                {"metric": {"column": "amount", "stat": "mean", "min": 50}},
                {"freshness": {"column": "created_at", "max_age": "24h"}},
                {"row_condition": {"name": "n", "condition": "a IS NULL OR a >= b"}},
                {"foreign_key": {"column": "customer_id", "references": "customers.id"}},
                {"schema": {"columns": {"order_id": "integer"}, "allow_extra": True}},
                {"sql": {"name": "q", "query": "SELECT count(*) FROM orders", "max": 0}},
                {"anomaly": {"metric": "row_count"}},
            ],
        },
        "customers": {"source": "db", "table": "main.customers", "key": "id"},
    },
}
VALID_TEXT = json.dumps(VALID, indent=2)  # JSON is YAML too: flow style


def _block_style(document: Any) -> str:
    from io import StringIO

    from ruamel.yaml import YAML

    stream = StringIO()
    YAML(typ="safe", pure=True).dump(document, stream)
    return stream.getvalue()


VALID_BLOCK = _block_style(VALID)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, child in children:
        found += _paths(child, (*prefix, key))
    return found


PATHS = _paths(VALID)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.sampled_from(["24h", "mean", "files", "warn", "*", "${HOME}", "a, b", "SELECT 1 x"]),
)
KEYS = st.one_of(st.text(max_size=4), st.sampled_from(["min", "max", "column", "type", "name"]))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=5,
)
TOKENS = st.sampled_from(
    [
        *[":", "-", "[", "]", "{", "}", ",", " ", "\n", "\t", "'", '"', "#", "&a", "*a"],
        *["!!str", "|", ">", "%", "@", "`", "?", "~", "null", "- ", ": ", "${X}", "\\x"],
        *["0x1", "\n  - "],
    ]
)


def _loads_or_config_error(text: str) -> None:
    try:
        project = parse_project(text, base_dir=Path("/project"))
        for dataset in project.datasets.values():
            for spec in dataset.checks:
                build_checks(spec)
    except ConfigError:
        pass


@pytest.mark.parametrize("text", [VALID_TEXT, VALID_BLOCK], ids=["flow", "block"])
def test_the_property_starts_from_a_valid_configuration(text: str) -> None:
    project = parse_project(text)
    assert sum(len(build_checks(spec)) for spec in project.datasets["orders"].checks) == 16


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=VALUES)
def test_any_value_anywhere_loads_or_raises_config_error(path: tuple[Any, ...], value: Any) -> None:
    document = copy.deepcopy(VALID)
    node = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    _loads_or_config_error(json.dumps(document, indent=2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_edit_of_the_text_loads_or_raises_config_error(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from([VALID_TEXT, VALID_BLOCK]), label="style")
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        at = data.draw(st.integers(0, len(text)), label="at")
        cut = data.draw(st.integers(0, 12), label="cut")
        inserted = "".join(data.draw(st.lists(TOKENS, max_size=3), label="insert"))
        text = text[:at] + inserted + text[at + cut :]
    _loads_or_config_error(text)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=40))
def test_any_small_text_loads_or_raises_config_error(text: str) -> None:
    _loads_or_config_error(text)
