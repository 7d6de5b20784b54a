"""``steward scan`` through the real command: exit codes, errors, JSON, JUnit, --as-of."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import pytest

from datasteward.services.example_project import ExampleProject, write_example_project

if TYPE_CHECKING:
    from .conftest import Result, Steward

#: The example data ends just before this time, so every number a scan finds is fixed.
EXAMPLE_NOW = datetime(2026, 1, 4, 12, tzinfo=UTC)
AS_OF = "2026-01-05T00:00:00Z"
STATUSES = {"pass", "fail", "warn", "error"}
CHECK_KEYS = [
    "name",
    "type",
    "column",
    "status",
    "severity",
    "observed",
    "failed_rows",
    "message",
    "samples",
]


def _checks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [check for dataset in payload["datasets"] for check in dataset["checks"]]


def _by_name(payload: dict[str, Any], dataset: str) -> dict[str, dict[str, Any]]:
    (found,) = [d for d in payload["datasets"] if d["dataset"] == dataset]
    return {check["name"]: check for check in found["checks"]}


# -- the example project, scanned once per module ----------------------------------------


@dataclass(frozen=True)
class ExampleScan:
    project: ExampleProject
    json: Result
    junit: Result
    junit_file: Path


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, run: Callable[..., Result]) -> ExampleScan:
    folder = tmp_path_factory.mktemp("example")
    project = write_example_project(folder, orders=2000, now=EXAMPLE_NOW)
    as_json = run("scan", "--format", "json", "--as-of", AS_OF, cwd=folder)
    junit_file = folder / "reports" / "steward.xml"
    as_junit = run(
        "scan", "--format", "junit", "--output", junit_file, "--as-of", AS_OF, cwd=folder
    )
    return ExampleScan(project, as_json, as_junit, junit_file)


def test_json_scan_of_the_example_exits_1_and_prints_only_json(example: ExampleScan) -> None:
    result = example.json
    assert result.returncode == 1, result.describe()
    assert result.stderr == "", "nothing but JSON may be printed with --format json"
    assert isinstance(result.json(), dict)


def test_json_keys_match_the_contract(
    example: ExampleScan, golden: Callable[[str, Any], None]
) -> None:
    payload = example.json.json()
    checks = _checks(payload)
    structure = {
        "top": sorted(payload),
        "summary": sorted(payload["summary"]),
        "dataset": sorted({key for d in payload["datasets"] for key in d}),
        "check": sorted({key for c in checks for key in c}),
    }
    golden("scan_json_keys.json", structure)
    # DESIGN.md section 4, written out so the golden file cannot drift from the contract.
    assert structure == {
        "top": sorted(["run_id", "as_of", "started_at", "finished_at", "summary", "datasets"]),
        "summary": ["error", "fail", "pass", "warn"],
        "dataset": ["checks", "dataset", "row_count", "seconds"],
        "check": sorted(CHECK_KEYS),
    }
    for dataset in payload["datasets"]:
        assert sorted(dataset) == structure["dataset"], dataset["dataset"]
    for check in checks:
        assert sorted(check) == structure["check"], check["name"]


def test_json_values_are_well_formed(example: ExampleScan) -> None:
    payload = example.json.json()
    assert re.fullmatch(r"[0-9a-f-]{8,}", payload["run_id"])
    started = datetime.fromisoformat(payload["started_at"].replace("Z", "+00:00"))
    finished = datetime.fromisoformat(payload["finished_at"].replace("Z", "+00:00"))
    assert payload["started_at"].endswith("Z") and payload["finished_at"].endswith("Z")
    assert started <= finished
    checks = _checks(payload)
    counted = {status: sum(c["status"] == status for c in checks) for status in STATUSES}
    assert payload["summary"] == counted
    for dataset in payload["datasets"]:
        assert isinstance(dataset["row_count"], int) and dataset["seconds"] >= 0
    for check in checks:
        assert check["status"] in STATUSES and check["severity"] in {"error", "warn"}
        assert isinstance(check["message"], str) and check["message"]
        assert check["failed_rows"] is None or isinstance(check["failed_rows"], int)
        assert isinstance(check["samples"], list)
        if check["status"] == "pass":
            assert check["samples"] == [], check["name"]


def test_failed_rows_match_the_golden_file(
    example: ExampleScan, golden: Callable[[str, Any], None]
) -> None:
    payload = example.json.json()
    results = {
        "as_of": payload["as_of"],
        "summary": payload["summary"],
        "datasets": [
            {
                "dataset": d["dataset"],
                "row_count": d["row_count"],
                "checks": [
                    {key: c[key] for key in ("name", "type", "column", "status", "severity")}
                    | {"failed_rows": c["failed_rows"]}
                    for c in d["checks"]
                ],
            }
            for d in payload["datasets"]
        ],
    }
    golden("example_scan_results.json", results)


def test_failed_rows_match_the_planted_defects(example: ExampleScan) -> None:
    defects = example.project.defects
    orders = _by_name(example.json.json(), "orders")
    expected = {
        "not_null(customer_id)": defects.null_customer_ids,
        "unique(order_id)": defects.duplicate_order_rows,
        "between(amount)": defects.out_of_range_amounts,
        "in_set(status)": defects.invalid_statuses,
        "regex(email)": defects.malformed_emails,
        "length(country)": defects.three_letter_countries,
        "shipped_after_created": defects.late_shipments,
        "foreign_key(customer_id)": defects.orphan_customer_ids,
        "discount_at_most_half": defects.large_discounts,
    }
    assert {name: orders[name]["failed_rows"] for name in expected} == expected
    assert orders["length(country)"]["status"] == "warn"
    assert orders["discount_at_most_half"]["status"] == "pass"  # tolerated by `mostly`


def test_failing_row_checks_carry_samples_of_whole_rows(example: ExampleScan) -> None:
    orders = _by_name(example.json.json(), "orders")
    columns = {"order_id", "customer_id", "created_at", "status", "amount", "email"}
    for name in ("not_null(customer_id)", "unique(order_id)", "between(amount)"):
        samples = orders[name]["samples"]
        assert 1 <= len(samples) <= 5, name
        assert all(columns <= set(row) for row in samples), name
    assert all(row["customer_id"] is None for row in orders["not_null(customer_id)"]["samples"])
    assert all(not 0 <= row["amount"] <= 10_000 for row in orders["between(amount)"]["samples"])


def test_as_of_is_echoed_and_freshness_uses_it(example: ExampleScan) -> None:
    payload = example.json.json()
    assert payload["as_of"] == AS_OF
    freshness = _by_name(payload, "orders")["freshness(created_at)"]
    assert freshness["status"] == "pass"
    assert "2026-01-05 00:00" in freshness["message"]
    assert 0 < freshness["observed"] <= 24 * 3600  # age in seconds, judged at --as-of


def test_junit_report_has_one_testcase_per_check(example: ExampleScan) -> None:
    result = example.junit
    assert result.returncode == 1, result.describe()
    assert result.stdout == "", "--output FILE writes the report to the file only"
    root = ElementTree.parse(example.junit_file).getroot()
    checks = _checks(example.json.json())
    cases = root.findall("./testsuite/testcase")
    assert [case.get("name") for case in cases] == [c["name"] for c in checks]
    failed = [c["name"] for c in checks if c["status"] == "fail"]
    assert [case.get("name") for case in cases if case.find("failure") is not None] == failed
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests", -1)) == len(suite.findall("testcase"))
        assert int(suite.get("failures", -1)) == len(suite.findall("testcase/failure"))
    (unique,) = [c for c in cases if c.get("name") == "unique(order_id)"]
    failure = unique.find("failure")
    assert failure is not None and "duplicated order_id" in failure.get("message", "")


# -- exit codes on a small project --------------------------------------------------------

CONFIGS = {
    "pass.yml": [
        "not_null: [id, status]",
        "unique: id",
        "between: {column: amount, min: -10, max: 100}",
        "in_set: {column: status, values: [new, paid, bogus]}",
    ],
    "fail.yml": [
        "not_null: [id]",
        "in_set: {column: status, values: [new, paid]}",
        "between: {column: amount, min: 0}",
    ],
    "warn.yml": ["not_null: [id]", "in_set: {column: status, values: [new, paid], severity: warn}"],
    "broken.yml": ["unique: id", "between: {column: amout, min: 0}"],
    "fresh.yml": ["freshness: {column: ts, max_age: 24h}"],
}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, shop: Callable[..., Path]) -> Path:
    folder = tmp_path_factory.mktemp("small")
    for name, checks in CONFIGS.items():
        shop(folder, checks, name=name)
    return folder


@pytest.fixture(scope="module")
def scan_json(small: Path, run: Callable[..., Result]) -> Callable[..., Result]:
    """``scan_json(CONFIG, *options)``: one process per distinct command, shared by tests."""
    done: dict[tuple[str, ...], Result] = {}

    def scan(config: str, *options: str) -> Result:
        key = (config, *options)
        if key not in done:
            done[key] = run("scan", "-c", config, "--format", "json", *options, cwd=small)
        return done[key]

    return scan


@pytest.mark.parametrize(
    ("config", "options", "code", "summary"),
    [
        ("pass.yml", [], 0, {"pass": 5}),
        ("fail.yml", [], 1, {"pass": 1, "fail": 2}),
        ("fail.yml", ["--fail-on", "never"], 0, {"pass": 1, "fail": 2}),
        ("warn.yml", [], 0, {"pass": 1, "warn": 1}),
        ("warn.yml", ["--fail-on", "warn"], 1, {"pass": 1, "warn": 1}),
        ("warn.yml", ["--fail-on", "never"], 0, {"pass": 1, "warn": 1}),
        ("broken.yml", [], 1, {"pass": 1, "error": 1}),  # a check that cannot run
    ],
)
def test_exit_code(
    scan_json: Callable[..., Result], config: str, options: list[str], code: int, summary: dict
) -> None:
    result = scan_json(config, *options)
    assert result.returncode == code, result.describe()
    assert {k: v for k, v in result.json()["summary"].items() if v} == summary


def test_a_check_that_cannot_run_says_why_and_the_others_still_run(
    scan_json: Callable[..., Result],
) -> None:
    checks = _by_name(scan_json("broken.yml").json(), "orders")
    assert checks["unique(id)"]["status"] == "pass"
    broken = checks["between(amout)"]
    assert broken["status"] == "error"
    assert "amout" in broken["message"] and "amount" in broken["message"]  # did you mean


def test_paths_resolve_against_the_config_folder(small: Path, steward: Steward) -> None:
    # Run from the parent folder: data/ and .steward/ are found next to the config file.
    result = steward("scan", "-c", f"{small.name}/pass.yml", cwd=small.parent)
    assert result.returncode == 0, result.describe()
    assert not (small.parent / ".steward").exists()


def test_text_output_shows_messages_verbatim(small: Path, steward: Steward) -> None:
    result = steward("scan", "-c", "fail.yml", cwd=small)
    assert result.returncode == 1, result.describe()
    assert "in_set(status)" in result.stdout and "FAIL" in result.stdout
    # Messages hold brackets ("not in [new, paid]"); they must not be eaten as markup.
    assert "[new, paid]" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("as_of", "echoed", "status", "code"),
    [
        ("2026-01-05T00:00:00Z", "2026-01-05T00:00:00Z", "pass", 0),  # newest ts is 12h old
        ("2026-01-05T13:00:00+01:00", "2026-01-05T12:00:00Z", "pass", 0),  # exactly 24h
        ("2026-01-06", "2026-01-06T00:00:00Z", "fail", 1),  # 36h old
    ],
)
def test_as_of_is_echoed_in_utc_and_judges_freshness(
    scan_json: Callable[..., Result], as_of: str, echoed: str, status: str, code: int
) -> None:
    result = scan_json("fresh.yml", "--as-of", as_of)
    assert result.returncode == code, result.describe()
    payload = result.json()
    assert payload["as_of"] == echoed
    assert _by_name(payload, "orders")["freshness(ts)"]["status"] == status


@pytest.mark.parametrize("format", ["json", "text"])  # junit: see the example above
def test_output_writes_the_file(small: Path, steward: Steward, format: str) -> None:
    target = small / "out" / f"result.{format}"
    result = steward("scan", "-c", "fail.yml", "--format", format, "--output", target, cwd=small)
    assert result.returncode == 1, result.describe()
    assert result.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert "in_set(status)" in text
    if format == "json":
        checks = _by_name(json.loads(text), "orders")
        assert checks["in_set(status)"]["failed_rows"] == 1


def test_output_into_an_impossible_path_is_one_line(small: Path, steward: Steward) -> None:
    (small / "a-file").write_text("not a folder")
    result = steward("scan", "-c", "pass.yml", "--format", "json", "-o", "a-file/r.json", cwd=small)
    assert result.returncode in {2, 3}, result.describe()  # not 1: no check failed
    assert "a-file" in result.error_line()


# -- usage, configuration and runtime errors ----------------------------------------------

HEAD = """\
version: 1
sources:
  lake: {type: files, root: data}
datasets:
  orders:
    source: lake
    path: orders.csv
    checks:
"""


@pytest.mark.parametrize(
    ("config", "args", "where", "words"),
    [
        pytest.param(
            HEAD + "      - not_null: [id]\n     - unique: id\n",
            [],
            (10, 6),
            ["invalid YAML"],
            id="malformed-yaml",
        ),
        pytest.param(
            HEAD + "      - not_null: [id]\n      - uniqe: id\n",
            [],
            (10, 9),
            ["unknown check type 'uniqe'", "did you mean 'unique'"],
            id="unknown-check-type",
        ),
        pytest.param(
            HEAD
            + "      - between:\n          column: id\n          min: 0\n          maximum: 9\n",
            [],
            (12, 11),
            ["unknown parameter 'maximum'", "did you mean 'max'"],
            id="unknown-parameter",
        ),
        pytest.param(
            HEAD.replace("    checks:\n", "    kee: [id]\n"),
            [],
            (8, 5),
            ["unknown key", "kee", "did you mean 'key'"],
            id="unknown-key",
        ),
        pytest.param(
            HEAD.replace("root: data", 'root: "${STEWARD_TEST_UNSET_ROOT}"'),
            [],
            (3, 23),
            ["STEWARD_TEST_UNSET_ROOT", "not set"],
            id="unset-env-variable",
        ),
        pytest.param(
            HEAD + "      - not_null: [id]\n",
            ["ordrs"],
            None,
            ["unknown dataset 'ordrs'", "did you mean 'orders'"],
            id="unknown-dataset",
        ),
        pytest.param(
            HEAD + "      - not_null: [id]\n",
            ["--as-of", "yesterday"],
            None,
            ["--as-of", "yesterday"],
            id="invalid-as-of",
        ),
        pytest.param(
            HEAD + "      - not_null: [id]\n",
            ["-c", "missing.yml"],
            None,
            ["missing.yml", "steward init"],
            id="missing-config-file",
        ),
    ],
)
def test_user_errors_exit_2_with_one_line(
    tmp_path: Path,
    steward: Steward,
    shop: Callable[..., Path],
    config: str,
    args: list[str],
    where: tuple[int, int] | None,
    words: list[str],
) -> None:
    shop(tmp_path, [])
    (tmp_path / "steward.yml").write_text(config, encoding="utf-8")
    result = steward("scan", *args)
    assert result.returncode == 2, result.describe()
    assert result.stdout == ""
    line = result.error_line()
    if where is not None:
        assert re.match(rf"^(error: )?steward\.yml:{where[0]}:{where[1]}: ", line), line
    for word in words:
        assert word in line, line


@pytest.mark.parametrize("args", [["--format", "xml"], ["--fail-on", "sometimes"], ["--bogus"]])
def test_bad_options_exit_2_without_traceback(
    tmp_path: Path, steward: Steward, shop: Callable[..., Path], args: list[str]
) -> None:
    shop(tmp_path, ["not_null: [id]"])
    result = steward("scan", *args)
    assert result.returncode == 2, result.describe()
    assert "Traceback" not in result.stderr


SOURCE_TAIL = "datasets:\n  orders:\n    source: db\n    table: public.orders\n"


@pytest.mark.parametrize(
    ("config", "words"),
    [
        pytest.param(
            HEAD.replace("orders.csv", "missing.csv"),
            ["'lake'", "missing.csv"],
            id="missing-data-file",
        ),
        pytest.param(
            "sources:\n  db: {type: sqlite, path: data/nothing.sqlite}\n" + SOURCE_TAIL,
            ["'db'", "nothing.sqlite"],
            id="missing-sqlite-file",
        ),
        pytest.param(
            'sources:\n  db: {type: postgres, url: "postgresql://u:secret@127.0.0.1:1/db"}\n'
            + SOURCE_TAIL,
            ["'db'", "127.0.0.1"],
            id="unreachable-postgres",
        ),
        pytest.param(
            "sources:\n  db: {type: postgres, "
            'url: "postgresql://u@127.0.0.1:1/db?password=secret&connect_timeout=5"}\n'
            + SOURCE_TAIL,
            ["'db'", "127.0.0.1"],
            id="unreachable-postgres-password-parameter",
        ),
    ],
)
def test_unreachable_data_exits_3_with_one_line(
    tmp_path: Path, steward: Steward, shop: Callable[..., Path], config: str, words: list[str]
) -> None:
    shop(tmp_path, [])
    (tmp_path / "steward.yml").write_text(config, encoding="utf-8")
    result = steward("scan")
    assert result.returncode == 3, result.describe()
    line = result.error_line()
    for word in words:
        assert word in line, line
    assert "secret" not in result.stdout + result.stderr, "the password leaked"


def test_only_the_steward_script_exits_without_teardown(tmp_path: Path) -> None:
    """Programs and tests that call ``run()`` get control back; the command itself skips
    the interpreter's teardown once its work is done (its output must still be whole)."""
    from datasteward.cli import main

    assert not main._is_the_steward_script()
    project = write_example_project(tmp_path / "example")
    script = tmp_path / "steward"
    script.write_text("import sys\nfrom datasteward.cli.main import run\nsys.exit(run())\n")
    done = subprocess.run(
        [sys.executable, str(script), "scan", "--format", "json", "--as-of", AS_OF],
        cwd=project.directory,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    payload = json.loads(done.stdout)
    assert payload["summary"]["fail"] > 0
