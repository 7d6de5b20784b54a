"""``steward suggest`` as a user runs it: a fresh process, its output and exit codes.

The JSON output is compared with ``golden/products.json``; after an intended change::

    STEWARD_UPDATE_GOLDEN=1 pytest tests/suggest
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from datasteward.config import load_project

from .conftest import Catalogue

GOLDEN = Path(__file__).parent / "golden"
AS_OF = "2026-01-05T12:00:00Z"


def steward(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("steward")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "datasteward.cli.main"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    return subprocess.run(
        [*command, *map(str, args)],
        cwd=cwd,
        env={**environment, "NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_yaml_output_is_a_commented_list_of_checks(catalogue: Catalogue) -> None:
    result = steward("suggest", "products", "--as-of", AS_OF, cwd=catalogue.directory)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# Checks for dataset 'products', inferred from its 400 rows")
    items = [line for line in lines if line.startswith("- ")]
    for index, line in enumerate(lines):
        if line.startswith("- "):
            assert lines[index - 1].startswith("# "), f"no evidence above {line!r}"
    checks = YAML(typ="safe").load(result.stdout)
    assert len(checks) == len(items)
    assert {"not_null": ["product_id", "sku", "category", "country", "code", "price",
                         "quantity", "email", "launch_date", "created_at"]} in checks  # fmt: skip
    assert {
        "in_set": {"column": "category", "values": ["garden", "kitchen", "tools", "toys"]}
    } in checks


def test_json_output_matches_the_golden_file(catalogue: Catalogue) -> None:
    result = steward(
        "suggest", "products", "--format", "json", "--as-of", AS_OF, cwd=catalogue.directory
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    golden = GOLDEN / "products.json"
    if os.environ.get("STEWARD_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    assert document == json.loads(golden.read_text(encoding="utf-8"))


def test_write_adds_the_checks_and_keeps_a_backup(catalogue: Catalogue) -> None:
    original = catalogue.config.read_text(encoding="utf-8")
    result = steward(
        "suggest", "legacy_products", "--write", "--as-of", AS_OF, cwd=catalogue.directory
    )
    assert result.returncode == 0, result.stderr
    # 28 checks in 19 list entries: the ten not_null columns share one
    assert result.stderr.startswith("added 28 checks to steward.yml (previous version: ")
    assert (catalogue.directory / "steward.yml.bak").read_text(encoding="utf-8") == original
    written = load_project(catalogue.config).datasets["legacy_products"].checks
    assert len(written) == 19
    again = steward(
        "suggest", "legacy_products", "--write", "--format", "json", "--as-of", AS_OF,
        cwd=catalogue.directory,
    )  # fmt: skip
    document = json.loads(again.stdout)
    assert document["checks"] == [] and document["written"] is None
    assert len(document["already_configured"]) == 28


def test_scan_passes_after_write(catalogue: Catalogue) -> None:
    steward("suggest", "products", "--write", "--no-backup", "--as-of", AS_OF,
            cwd=catalogue.directory)  # fmt: skip
    assert not (catalogue.directory / "steward.yml.bak").exists()
    result = steward("scan", "products", "--as-of", AS_OF, "--format", "json",
                     cwd=catalogue.directory)  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["summary"]["fail"] == 0


def test_an_unknown_dataset_is_a_usage_error(catalogue: Catalogue) -> None:
    result = steward("suggest", "prodcts", cwd=catalogue.directory)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: unknown dataset 'prodcts' (did you mean 'products'?)"
    assert result.stdout == ""


def test_a_bad_as_of_is_a_usage_error(catalogue: Catalogue) -> None:
    result = steward("suggest", "products", "--as-of", "yesterday", cwd=catalogue.directory)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --as-of: invalid timestamp 'yesterday'")
