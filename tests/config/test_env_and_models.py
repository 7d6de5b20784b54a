"""``${ENV}`` expansion, path anchoring and the shapes the models normalise to."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from datasteward.checks.catalogue import build_checks
from datasteward.config import load_project, parse_project
from datasteward.errors import ConfigError
from datasteward.services.example_project import write_example_project

LAKE = "sources:\n  lake: {type: files, root: data}\n"


# -- ${ENV} ---------------------------------------------------------------------------------


def test_env_references_expand_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_T_PW", "s3cret")
    monkeypatch.setenv("STEWARD_T_HOST", "db.internal")
    monkeypatch.setenv("STEWARD_T_ROOT", "/mnt/lake")
    monkeypatch.setenv("STEWARD_T_COUNTRY", "NL")
    project = parse_project(
        'store: "postgresql://steward:${STEWARD_T_PW}@${STEWARD_T_HOST}/steward"\n'
        "sources:\n"
        "  lake: {type: files, root: '${STEWARD_T_ROOT}'}\n"
        '  shop: {type: postgres, url: "postgresql://app:${STEWARD_T_PW}@${STEWARD_T_HOST}/shop"}\n'
        "datasets:\n"
        "  orders:\n"
        "    source: lake\n"
        "    path: orders_${STEWARD_T_COUNTRY}.csv\n"
        "    checks:\n"
        "      - not_null: {column: id, where: \"country = '${STEWARD_T_COUNTRY}'\"}\n"
    )
    assert project.store == "postgresql://steward:s3cret@db.internal/steward"
    assert project.sources["lake"].root == "/mnt/lake"  # type: ignore[union-attr]
    assert project.sources["shop"].url == "postgresql://app:s3cret@db.internal/shop"  # type: ignore[union-attr]
    dataset = project.datasets["orders"]
    assert dataset.path == "orders_NL.csv"
    (check,) = build_checks(dataset.checks[0])
    assert check.params.where == "country = 'NL'"


def test_an_empty_variable_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_T_EMPTY", "")
    assert parse_project('store: "sqlite:///x${STEWARD_T_EMPTY}.db"\n').store == "sqlite:///x.db"


def test_only_braced_references_expand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_T_PW", "s3cret")
    project = parse_project('store: "postgresql://u:$STEWARD_T_PW@h/db"\n')
    assert project.store == "postgresql://u:$STEWARD_T_PW@h/db"


def test_an_unset_variable_is_named_with_its_position(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEWARD_T_UNSET", raising=False)
    with pytest.raises(ConfigError) as caught:
        parse_project(
            LAKE + "  shop: {type: postgres, url: 'postgresql://a:${STEWARD_T_UNSET}@h/db'}\n"
        )
    error = caught.value
    assert (error.line, error.column) == (3, 26)  # the key whose value names it
    assert "STEWARD_T_UNSET" in str(error) and "not set" in str(error)
    assert "export STEWARD_T_UNSET" in str(error)


def test_references_in_comments_need_no_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The generated steward.yml shows ${PGPASSWORD} and ${SHOP_PW} in comments.
    for name in ("PGPASSWORD", "SHOP_PW"):
        monkeypatch.delenv(name, raising=False)
    example = write_example_project(tmp_path, orders=200)
    assert "${PGPASSWORD}" in example.config_path.read_text(encoding="utf-8")
    assert set(load_project(example.config_path).datasets) == {"orders", "customers"}


# -- shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [("order_id", ["order_id"]), ("[order_id]", ["order_id"]), ("[a, b]", ["a", "b"])],
)
def test_key_is_always_a_list(written: str, key: list[str]) -> None:
    project = parse_project(
        LAKE + f"datasets:\n  o: {{source: lake, path: o.csv, key: {written}}}\n"
    )
    assert project.datasets["o"].key == key


def test_defaults() -> None:
    project = parse_project("")
    assert project.version == 1
    assert project.store == "sqlite:///.steward/steward.db"
    assert project.sources == {} and project.datasets == {}


def test_checks_keep_their_position() -> None:
    project = parse_project(
        LAKE + "datasets:\n  o:\n    source: lake\n    path: o.csv\n    checks:\n"
        "      - row_count: {min: 1}\n      - unique: id\n",
        file="conf/steward.yml",
    )
    first, second = project.datasets["o"].checks
    assert (first.type, first.line, first.column) == ("row_count", 8, 9)
    assert (second.type, second.params, second.line) == ("unique", "id", 9)
    assert second.file == "conf/steward.yml"


# -- paths ----------------------------------------------------------------------------------


@pytest.fixture
def nested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A steward.yml in project/conf, loaded while the working directory is elsewhere."""
    folder = tmp_path / "project" / "conf"
    folder.mkdir(parents=True)
    (folder / "steward.yml").write_text(
        "store: sqlite:///state/steward.db\n"
        "sources:\n"
        "  lake: {type: files, root: ../data}\n"
        "  legacy: {type: sqlite, path: legacy.sqlite}\n"
        "  abs: {type: duckdb, path: /srv/warehouse.duckdb}\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return folder


def test_relative_paths_resolve_against_the_config_folder(nested: Path) -> None:
    project = load_project(os.path.relpath(nested / "steward.yml"))
    assert project.base_dir == nested.resolve()
    assert project.resolve("../data").resolve() == (nested.parent / "data").resolve()
    assert project.resolve("legacy.sqlite") == nested.resolve() / "legacy.sqlite"
    assert project.resolve("/srv/warehouse.duckdb") == Path("/srv/warehouse.duckdb")


def test_home_is_expanded(nested: Path) -> None:
    project = load_project(nested / "steward.yml")
    assert project.resolve("~/lake") == Path.home() / "lake"


def test_store_url_anchors_relative_sqlite_paths(nested: Path) -> None:
    project = load_project(nested / "steward.yml")
    assert project.store_url() == f"sqlite:///{nested.resolve() / 'state' / 'steward.db'}"


@pytest.mark.parametrize(
    "store",
    ["sqlite:////var/lib/steward.db", "postgresql://steward:pw@db.internal/steward"],
)
def test_store_url_keeps_absolute_and_server_urls(store: str) -> None:
    project = parse_project(f"store: '{store}'\n", base_dir=Path("/project"))
    assert project.store_url() == store


def test_default_store_lives_in_the_project(tmp_path: Path) -> None:
    project = parse_project("", base_dir=tmp_path)
    assert project.store_url() == f"sqlite:///{tmp_path / '.steward' / 'steward.db'}"


def test_parse_without_base_dir_uses_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_project("").resolve("data") == Path.cwd() / "data"
