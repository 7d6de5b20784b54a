"""``steward profile``: the real command in a fresh process, its JSON contract and HTML page."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from datasteward.config.models import Project
from datasteward.services.profile import ProfileOptions, SampleSize, profile_dataset

GOLDEN = Path(__file__).parent / "golden" / "profile_json_keys.json"
README = Path(__file__).parents[2] / "README.md"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def steward(*args: str, cwd: Path) -> Result:
    script = Path(sys.executable).with_name("steward")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "datasteward.cli.main"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    environment.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    done = subprocess.run(
        [*command, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=300
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def folder(project_for: Callable[[str], Project]) -> Path:
    return project_for("duckdb").base_dir


def key_shape(document: dict[str, Any]) -> dict[str, list[str]]:
    """The keys at every level of a profile document (what the golden file pins down)."""
    columns = document["columns"]
    numeric = next(c for c in columns if c["histogram"])
    temporal = next(c for c in columns if c["rows_per_day"])
    text = next(c for c in columns if c["length"])
    return {
        "profile": sorted(document),
        "column": sorted(columns[0]),
        "quantiles": sorted(numeric["quantiles"]),
        "histogram": sorted(numeric["histogram"][0]),
        "top_values": sorted(numeric["top_values"][0]),
        "length": sorted(text["length"]),
        "patterns": sorted(text["patterns"][0]),
        "rows_per_day": sorted(temporal["rows_per_day"]),
        "rows_per_day.series": sorted(temporal["rows_per_day"]["series"][0]),
        "correlations": sorted(document["correlations"][0]),
        "candidate_keys": sorted(document["candidate_keys"][0]),
        "distinct": sorted(document["distinct"]),
    }


def test_json_output_keeps_its_documented_keys(folder: Path) -> None:
    done = steward("profile", "weather", "--format", "json", cwd=folder)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["dataset"] == "weather" and document["row_count"] == 26_115
    shape = key_shape(document)
    if os.environ.get("STEWARD_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(shape, indent=2) + "\n", encoding="utf-8")
    assert shape == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert document["candidate_keys"] == [{"columns": ["origin", "time_hour"]}]


def test_readme_documents_the_json_keys() -> None:
    section = README.read_text(encoding="utf-8").split("### steward profile", 1)[1]
    section = section.split("\n### ", 1)[0]
    shape = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for key in {k for keys in shape.values() for k in keys}:
        assert f'"{key}"' in section, f"README's steward profile section does not name {key!r}"


def test_text_output_is_a_table_with_keys_and_correlations(folder: Path) -> None:
    done = steward("profile", "penguins", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "penguins: 344 rows, 8 columns (duckdb" in done.stdout
    assert re.search(r"bill_length_mm\s+│\s+DOUBLE\s+│\s+0\.6%", done.stdout)
    assert "flipper_length_mm ~ body_mass_g: pearson +0.871" in done.stdout
    assert "candidate keys: none" in done.stdout


def test_html_page_is_self_contained(folder: Path, tmp_path: Path) -> None:
    page = tmp_path / "flights.html"
    done = steward("profile", "flights", "--html", str(page), "--format", "json", cwd=folder)
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert "<script" not in html and not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "@import" not in html and "url(" not in html
    for part in ("Missing values", "Pearson correlation", "Cramér&#39;s V", "Rows per day"):
        assert part in html
    # One histogram per numeric column, one top-values list per non-unique column.
    assert html.count('aria-label="histogram of') == 14
    assert html.count("<h4>Top values</h4>") == 19


def test_sample_of_a_percentage(folder: Path, frames: dict[str, pd.DataFrame]) -> None:
    done = steward("profile", "flights", "--sample", "10%", "--format", "json", cwd=folder)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    rows = math.ceil(len(frames["flights"]) * 0.1)
    assert document["sample"] == {"requested": "10%", "rows": rows, "of_rows": 336_776}
    assert document["row_count"] == rows
    carrier = next(c for c in document["columns"] if c["name"] == "carrier")
    assert carrier["missing_count"] == 0 and 10 <= carrier["distinct_count"] <= 16
    # A random sample: the share of each carrier stays near the table's.
    share = frames["flights"]["carrier"].value_counts(normalize=True)["UA"]
    ua = next(t for t in carrier["top_values"] if t["value"] == "UA")
    assert ua["count"] / rows == pytest.approx(share, abs=0.01)


def test_approximate_distinct_counts_state_their_error(
    folder: Path, frames: dict[str, pd.DataFrame]
) -> None:
    done = steward("profile", "flights", "--approx", "--format", "json", cwd=folder)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["distinct"] == {"method": "approximate", "relative_error": 0.02}
    for column in document["columns"]:
        expected = frames["flights"][column["name"]].nunique()
        assert column["distinct_count"] == pytest.approx(expected, rel=0.05), column["name"]
        if column["distinct_exact"]:
            assert column["distinct_count"] == expected
    assert (
        "distinct counts marked ≈ are approximate (±~2%)"
        in steward("profile", "flights", "--approx", cwd=folder).stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["profile", "flihgts"], "unknown dataset 'flihgts'"),
        (["profile", "flights", "--sample", "lots"], "--sample 'lots' is not a row count"),
        (["profile", "flights", "--sample", "150%"], "the percentage must be in (0, 100]"),
    ],
)
def test_user_mistakes_give_one_line_and_exit_2(
    folder: Path, args: list[str], message: str
) -> None:
    done = steward(*args, cwd=folder)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and message in done.stderr, done.stderr


def test_postgres_samples_in_the_server(project_for: Callable[[str], Project]) -> None:
    profile = profile_dataset(
        project_for("postgres"), "flights", ProfileOptions(sample=SampleSize(rows=20_000))
    )
    assert profile.total_rows == 336_776 and 15_000 <= profile.row_count <= 20_000
    assert profile.to_json()["sample"]["requested"] == "20000 rows"
    assert profile.column("distance").histogram and profile.column("carrier").top_values
