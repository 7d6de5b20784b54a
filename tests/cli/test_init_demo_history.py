"""``steward init``, ``demo``, ``history`` and ``--help`` through the real command."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import typer.main

from datasteward.cli.main import app

if TYPE_CHECKING:
    from .conftest import Result, Steward

README = Path(__file__).parents[2] / "README.md"
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


# -- init -----------------------------------------------------------------------------------


def test_init_creates_a_project_that_scan_runs(tmp_path: Path, steward: Steward) -> None:
    created = steward("init", "shop")
    assert created.returncode == 0, created.describe()
    assert (tmp_path / "shop" / "steward.yml").is_file()
    assert (tmp_path / "shop" / "data" / "customers.csv").is_file()
    scanned = steward("scan", "--format", "json", cwd=tmp_path / "shop")
    assert scanned.returncode == 1, scanned.describe()  # the example plants failures on purpose
    payload = scanned.json()
    assert {d["dataset"] for d in payload["datasets"]} == {"orders", "customers"}
    assert payload["summary"]["fail"] > 0 and payload["summary"]["error"] == 0


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, steward: Steward) -> None:
    config = tmp_path / "steward.yml"
    config.write_text("version: 1\n# mine, keep it\n", encoding="utf-8")
    refused = steward("init", ".")
    assert refused.returncode == 2, refused.describe()
    line = refused.error_line()
    assert "steward.yml" in line and "--force" in line
    assert config.read_text(encoding="utf-8") == "version: 1\n# mine, keep it\n"
    forced = steward("init", ".", "--force")
    assert forced.returncode == 0, forced.describe()
    assert "datasets:" in config.read_text(encoding="utf-8")


def test_init_into_a_file_is_a_usage_error(tmp_path: Path, steward: Steward) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    result = steward("init", "taken")
    assert result.returncode == 2, result.describe()
    assert "taken" in result.error_line()


# -- demo and history -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, run: Callable[..., Result]
) -> tuple[Path, Result]:
    home = tmp_path_factory.mktemp("demo")
    return home / "tour", run("demo", "tour", "--rows", "2000", cwd=home)


def test_demo_scans_and_prints_the_results(demo: tuple[Path, Result]) -> None:
    folder, result = demo
    assert result.returncode == 0, result.describe()
    assert (folder / "steward.yml").is_file()
    for text in ("unique(order_id)", "FAIL", "PASS", "checks:", "2,000"):
        assert text in result.stdout, text


def test_history_shows_the_demo_run(demo: tuple[Path, Result], steward: Steward) -> None:
    folder, _ = demo
    result = steward("history", "orders", "-c", folder / "steward.yml")
    assert result.returncode == 0, result.describe()
    for text in ("unique(order_id)", "fail", "row_count", "2,000"):
        assert text in result.stdout, text


def test_history_as_json(demo: tuple[Path, Result], steward: Steward) -> None:
    folder, _ = demo
    result = steward("history", "orders", "-c", folder / "steward.yml", "--format", "json")
    assert result.returncode == 0, result.describe()
    payload = result.json()
    assert payload["dataset"] == "orders"
    checks = {row["name"]: row for row in payload["checks"]}
    assert checks["unique(order_id)"]["status"] == "fail"
    assert checks["unique(order_id)"]["failed_rows"] == 2
    assert {"as_of", "run_id", "name", "value"} <= set(payload["metrics"][0])
    assert len({row["run_id"] for row in payload["checks"] + payload["metrics"]}) == 1


def test_history_as_csv(demo: tuple[Path, Result], steward: Steward) -> None:
    folder, _ = demo
    result = steward("history", "orders", "-c", folder / "steward.yml", "--format", "csv")
    assert result.returncode == 0, result.describe()
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {"kind", "as_of", "run_id", "name", "status", "value", "failed_rows"} <= set(rows[0])
    assert {row["kind"] for row in rows} == {"check", "metric"}
    (unique,) = [r for r in rows if r["kind"] == "check" and r["name"] == "unique(order_id)"]
    assert (unique["status"], unique["failed_rows"]) == ("fail", "2")


@pytest.mark.parametrize("format", ["json", "csv", "text"])
def test_history_metric_filter(demo: tuple[Path, Result], steward: Steward, format: str) -> None:
    folder, _ = demo
    config = folder / "steward.yml"
    result = steward("history", "orders", "-c", config, "--metric", "row_count", "-f", format)
    assert result.returncode == 0, result.describe()
    if format == "json":
        payload = result.json()
        assert payload["checks"] == []
        assert [(m["name"], m["value"]) for m in payload["metrics"]] == [("row_count", 2000)]
    elif format == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["kind"], r["name"], float(r["value"])) for r in rows] == [
            ("metric", "row_count", 2000.0)
        ]
    else:
        assert "row_count" in result.stdout and "2,000" in result.stdout
        assert "unique(order_id)" not in result.stdout and "mean" not in result.stdout


@pytest.fixture(scope="module")
def twice(
    tmp_path_factory: pytest.TempPathFactory,
    run: Callable[..., Result],
    shop: Callable[..., Path],
) -> Path:
    """A small project scanned at two logical times."""
    folder = tmp_path_factory.mktemp("twice")
    shop(folder, ["in_set: {column: status, values: [new, paid]}"])
    for as_of in ("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"):
        scanned = run("scan", "--as-of", as_of, "--format", "json", cwd=folder)
        assert scanned.returncode == 1, scanned.describe()
    return folder


def test_history_of_two_scans_shows_two_runs(twice: Path, steward: Steward) -> None:
    result = steward("history", "orders", "--format", "json", cwd=twice)
    assert result.returncode == 0, result.describe()
    checks = result.json()["checks"]
    assert len({row["run_id"] for row in checks}) == 2
    assert [row["as_of"][:10] for row in checks] == ["2026-01-06", "2026-01-05"]  # newest first


def test_history_text_shows_messages_verbatim(twice: Path, steward: Steward) -> None:
    result = steward("history", "orders", cwd=twice)
    assert result.returncode == 0, result.describe()
    assert result.stdout.count("in_set(status)") == 2
    # "status not in [new, paid]": brackets must not be eaten as rich markup.
    assert "[new, paid]" in result.stdout, result.stdout


def test_history_before_any_scan(
    tmp_path: Path, steward: Steward, shop: Callable[..., Path]
) -> None:
    shop(tmp_path, ["not_null: [id]"])
    result = steward("history", "orders")
    assert result.returncode == 0, result.describe()
    assert "No history" in result.stdout


def test_history_of_an_unknown_dataset(
    tmp_path: Path, steward: Steward, shop: Callable[..., Path]
) -> None:
    shop(tmp_path, ["not_null: [id]"])
    result = steward("history", "ordres")
    assert result.returncode == 2, result.describe()
    assert "did you mean 'orders'" in result.error_line()


# -- help and docs --------------------------------------------------------------------------


def test_help_lists_every_command(steward: Steward) -> None:
    result = steward("--help")
    assert result.returncode == 0, result.describe()
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(steward: Steward, command: str) -> None:
    result = steward(command, "--help")
    assert result.returncode == 0, result.describe()
    assert f"Usage: steward {command}" in result.stdout
    assert "-c, --config" in result.stdout or command in {"init", "demo"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    # Fails for a new command until its README section is written: that is the point.
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    assert f"steward {command}" in text, (
        f"README.md does not document the command: add 'steward {command}' with an example"
    )
