"""``steward diff``: by key (added/removed/changed per column) or as multisets of rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from datasteward.services.backup import Manifest
from datasteward.services.backup.diff import diff_dataset

from .sources import DuckDBLive
from .workspace import Workspace

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("amount", pa.decimal128(10, 2)),
        ("status", pa.string()),
        ("note", pa.string()),
    ]
)
DESIGN_KEYS = {"added", "removed", "changed", "unchanged", "columns_changed", "samples"}


def base_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": n,
            "amount": Decimal(n) + Decimal("0.25"),
            "status": ["new", "paid"][n % 2],
            "note": None if n % 4 == 0 else f"n{n}",
        }
        for n in range(100)
    ]


def changed_rows() -> list[dict[str, Any]]:
    rows = {row["id"]: row for row in base_rows()}
    for n in (1, 2, 3, 4, 5, 7):
        rows[n]["amount"] += 1
    for n in (6, 7):
        rows[n]["status"] = "shipped"
    rows[8]["note"] = "was null"
    rows[9]["note"] = None
    for n in (90, 91, 92):
        del rows[n]
    for n in range(200, 204):
        rows[n] = {"id": n, "amount": Decimal("9.99"), "status": "new", "note": "ünï"}
    return list(rows.values())


@pytest.fixture
def two(duckdb_workspace: Workspace) -> tuple[Manifest, Manifest]:
    """A snapshot of the base rows, then one of the changed rows (also the live data)."""
    duckdb_workspace.put(pa.Table.from_pylist(base_rows(), schema=SCHEMA))
    before = duckdb_workspace.backup()
    duckdb_workspace.put(pa.Table.from_pylist(changed_rows(), schema=SCHEMA))
    return before, duckdb_workspace.backup()


def test_diff_by_key_against_current_data_and_between_snapshots(
    duckdb_workspace: Workspace, two: tuple[Manifest, Manifest]
) -> None:
    before, after = two
    project = duckdb_workspace.project
    for result in (diff_dataset(project, before), diff_dataset(project, before, after)):
        payload = result.to_json()
        assert set(payload) >= DESIGN_KEYS
        assert payload["added"] == 4
        assert payload["removed"] == 3
        assert payload["changed"] == 9
        assert payload["unchanged"] == 100 - 3 - 9
        assert payload["columns_changed"] == {"amount": 6, "status": 2, "note": 2}
        samples = payload["samples"]
        assert [row["id"] for row in samples["added"]] == [200, 201, 202, 203]
        assert [row["id"] for row in samples["removed"]] == [90, 91, 92]
        assert [row["id"] for row in samples["changed"]] == [1, 2, 3, 4, 5]
        first = samples["changed"][0]
        assert set(first["before"]) == set(first["after"]) == {"amount"}
        assert Decimal(str(first["after"]["amount"])) - Decimal(str(first["before"]["amount"])) == 1
    assert diff_dataset(project, after).to_json()["unchanged"] == 101  # nothing since


def test_diff_without_a_key_compares_multisets(
    duckdb_workspace: Workspace, two: tuple[Manifest, Manifest]
) -> None:
    duckdb_workspace.configure(["orders"], keys={})
    before, after = two
    result = diff_dataset(duckdb_workspace.project, before, after).to_json()
    assert (result["added"], result["removed"], result["changed"], result["unchanged"]) == (
        4 + 9,
        3 + 9,
        0,
        88,
    )
    assert len(result["samples"]["added"]) == len(result["samples"]["removed"]) == 5


def test_diff_falls_back_to_multisets_when_the_key_has_duplicates(
    duckdb_workspace: Workspace,
) -> None:
    ws = duckdb_workspace
    ws.configure(["orders"], keys={"orders": ["sku"]})
    ws.put(pa.table({"sku": ["a", "a", "b", "c"], "qty": [1, 1, 2, 3]}))
    before = ws.backup()
    ws.put(pa.table({"sku": ["a", "b", "b", "c"], "qty": [1, 2, 2, 4]}))
    result = diff_dataset(ws.project, before).to_json()
    assert (result["added"], result["removed"], result["unchanged"]) == (2, 2, 2)
    assert result["changed"] == 0


def test_diff_names_added_and_removed_columns(
    duckdb_workspace: Workspace, two: tuple[Manifest, Manifest]
) -> None:
    _, after = two
    assert isinstance(duckdb_workspace.live, DuckDBLive)
    duckdb_workspace.live.sql(
        "ALTER TABLE orders ADD COLUMN discount DOUBLE", "ALTER TABLE orders DROP COLUMN note"
    )
    result = diff_dataset(duckdb_workspace.project, after).to_json()
    assert (result["columns_added"], result["columns_removed"]) == (["discount"], ["note"])
    assert (result["added"], result["removed"], result["changed"]) == (0, 0, 0)


def test_diff_command_prints_the_json_contract(
    duckdb_workspace: Workspace, two: tuple[Manifest, Manifest]
) -> None:
    before, after = two
    by_time = duckdb_workspace.cli(
        "diff",
        "orders",
        "--from",
        before.created_at.replace("+00:00", "Z"),
        "--to",
        after.id[:-2],
        "--format",
        "json",
    )
    assert by_time.returncode == 0, by_time.describe()
    payload = by_time.json()
    assert set(payload) >= DESIGN_KEYS
    assert (payload["added"], payload["removed"], payload["changed"]) == (4, 3, 9)
    assert payload["columns_changed"] == {"amount": 6, "status": 2, "note": 2}
    assert set(payload["samples"]) == {"added", "removed", "changed"}
    assert payload["samples"]["added"][0]["note"] == "ünï"

    unknown = duckdb_workspace.cli("diff", "orders", "--from", "nope", "--format", "json")
    assert unknown.returncode == 2, unknown.describe()
    assert "nope" in unknown.error_line()
