"""A backup whose metadata store cannot be reached fails clearly and lists no snapshot."""

from __future__ import annotations

import json

from .data import sample_table
from .workspace import Workspace


def test_backup_with_an_unreachable_store_fails_and_leaves_no_snapshot(
    duckdb_workspace: Workspace,
) -> None:
    duckdb_workspace.put(sample_table(200))
    duckdb_workspace.backup()  # one good snapshot first
    config = json.loads(duckdb_workspace.config.read_text(encoding="utf-8"))
    config["store"] = "postgresql://steward@127.0.0.1:1/nowhere"  # nothing listens on port 1
    duckdb_workspace.config.write_text(json.dumps(config), encoding="utf-8")

    result = duckdb_workspace.cli("backup", "orders")

    assert result.returncode == 3, result.describe()
    assert "store" in result.error_line().lower() or "127.0.0.1" in result.error_line()
    manifests = list((duckdb_workspace.repository / "snapshots").rglob("*"))
    assert len([m for m in manifests if m.is_file()]) == 1
