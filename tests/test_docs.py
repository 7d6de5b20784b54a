"""Executable docs: the README documents every check type and command, and its examples work."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from datasteward.checks.catalogue import CHECK_TYPES, build_checks
from datasteward.cli.main import app
from datasteward.config import parse_project

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("check_type", sorted(CHECK_TYPES))
def test_every_check_type_has_a_section_with_a_working_example(check_type: str) -> None:
    match = re.search(rf"^### {check_type}\n`({check_type}: [^`]+)`", README, flags=re.M)
    assert match, f"README has no '### {check_type}' section starting with an example"
    spec = (
        parse_project(
            "sources: {s: {type: files}}\n"
            f"datasets: {{d: {{source: s, path: x.csv, checks: [{{{match.group(1)}}}]}}}}\n"
        )
        .datasets["d"]
        .checks[0]
    )
    assert build_checks(spec), f"the README example of {check_type} does not build"


def test_every_command_has_a_section() -> None:
    import typer.main

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name in commands:
        assert f"### steward {name}" in README, f"README has no section for 'steward {name}'"


def test_the_configuration_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_PW", "x")
    example = next(block for block in _code_blocks("yaml") if "sources:" in block)
    project = parse_project(example)
    for dataset in project.datasets.values():
        for spec in dataset.checks:
            build_checks(spec)
    assert set(project.sources) == {"lake", "warehouse", "legacy", "shop"}


def test_the_json_example_shows_the_real_keys() -> None:
    from datetime import UTC, datetime

    from datasteward.model import CheckResult, CheckStatus, DatasetResult, Run, Severity

    example = next(block for block in _code_blocks("json") if "run_id" in block)
    documented = json.loads(example.replace("…", ""))
    check = CheckResult("c", "unique", CheckStatus.PASS, Severity.ERROR, "m")
    now = datetime.now(UTC)
    real = Run("r", now, now, now, [DatasetResult("d", 1, 0.1, [check])]).to_json()
    assert documented.keys() == real.keys()
    assert documented["summary"].keys() == real["summary"].keys()
    assert documented["datasets"][0].keys() == real["datasets"][0].keys()
    assert documented["datasets"][0]["checks"][0].keys() == real["datasets"][0]["checks"][0].keys()
