"""``steward outliers`` as a user runs it: text, JSON, and one-line errors with exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datasteward.config.models import Project

from .conftest import ROWS, Orders, Result

Steward = Callable[..., Result]


@pytest.fixture(scope="module")
def folder(project_for: Callable[[str], Project]) -> Path:
    return project_for("parquet").base_dir


def test_json_output(steward: Steward, folder: Path, orders: Orders) -> None:
    result = steward("outliers", "orders", "--top", "12", "--format", "json", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document: dict[str, Any] = json.loads(result.stdout)
    assert {"dataset", "columns", "rows_scored", "sample_rows", "outliers"} <= document.keys()
    assert document["dataset"] == "orders"
    assert document["columns"] == ["price", "amount", "weight", "delay"]
    assert document["rows_scored"] == document["sample_rows"] == ROWS
    assert len(document["outliers"]) == 12
    first = document["outliers"][0]
    assert {"score", "row", "reasons"} <= first.keys()
    assert 0 < first["score"] <= 1
    assert set(first["row"]) == {"id", "price", "amount", "weight", "delay", "status"}
    assert {"column", "value", "z"} <= first["reasons"][0].keys()
    found = {o["row"]["id"] for o in document["outliers"]} & set(orders.planted)
    assert len(found) >= 8


def test_text_output_names_rows_by_key_and_explains_them(
    steward: Steward, folder: Path, orders: Orders
) -> None:
    result = steward("outliers", "orders", "--columns", "weight,delay", "--top", "4", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert f"orders: {ROWS:,} rows scored on weight, delay" in result.stdout
    for order_id, columns in orders.planted.items():
        if columns in ({"weight"}, {"delay"}):
            assert f"id={order_id}" in result.stdout
    assert "weight=170 (z +" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--columns", "price,amout"],
            "error: --columns: column 'amout' not found in dataset 'orders' (did you mean 'amount'?)",
        ),
        (["--columns", "status"], "column 'status' of dataset 'orders' is VARCHAR, not numeric"),
        (["--contamination", "lots"], "--contamination: 'lots' is not a number"),
        (["--contamination", "0.9"], "--contamination must be 'auto' or a share in (0, 0.5]"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    args: list[str], message: str, steward: Steward, folder: Path
) -> None:
    result = steward("outliers", "orders", *args, cwd=folder)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert message in line


def test_unknown_dataset_exits_2(steward: Steward, folder: Path) -> None:
    result = steward("outliers", "ordres", cwd=folder)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: unknown dataset 'ordres' (did you mean 'orders'?)"
