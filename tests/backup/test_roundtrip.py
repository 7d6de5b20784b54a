"""Backup then restore on every kind of source: the restored data equals the snapshot.

Same rows (as a multiset), same Arrow types and column order, whether restored to a
Parquet file, to a new table (or file) beside the dataset, or in place of the live data.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .data import assert_same_data, sample_table
from .sources import DuckDBLive, PostgresLive, SQLiteLive, make_live
from .workspace import PASSPHRASE_ENV, Workspace


def test_restore_to_file_table_and_in_place_equals_the_snapshot(
    workspace: Workspace, tmp_path: Path
) -> None:
    round_trip(workspace, tmp_path)


def test_round_trip_in_an_encrypted_repository(
    duckdb_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duckdb_workspace.encrypt(monkeypatch)
    round_trip(duckdb_workspace, tmp_path)


def round_trip(workspace: Workspace, tmp_path: Path) -> None:
    """A full snapshot and a delta on it, each restored to every kind of target."""
    binary = workspace.live.kind != "csv"  # CSV has no binary type
    workspace.put(sample_table(binary=binary))
    full = workspace.backup()
    full_rows = workspace.read()
    assert full.kind == "full"
    assert full.rows == full_rows.num_rows == 60
    # Rows dropped and rows added: the next snapshot is a delta.
    workspace.put(
        pa.concat_tables(
            [sample_table(binary=binary).slice(5, 45), sample_table(15, binary=binary, offset=200)]
        )
    )
    delta = workspace.backup()
    delta_rows = workspace.read()
    assert delta.kind == "delta" or workspace.live.kind == "csv"  # CSV types are re-sniffed
    assert delta.rows == delta_rows.num_rows == 60

    for manifest, expected in ((full, full_rows), (delta, delta_rows)):
        out = tmp_path / f"{manifest.kind}.parquet"
        assert workspace.restore(manifest, to_path=out).rows == 60
        assert_same_data(pq.read_table(out), expected)

    workspace.restore(full, to_table=workspace.live.table_name("restored"))
    assert_same_data(workspace.read("restored"), full_rows)

    workspace.restore(full, replace=True)
    assert_same_data(workspace.read(), full_rows)
    workspace.restore(delta, replace=True)
    assert_same_data(workspace.read(), delta_rows)


def test_round_trip_through_the_command(duckdb_workspace: Workspace, tmp_path: Path) -> None:
    ws = duckdb_workspace
    ws.put(sample_table())
    made = ws.steward("backup", "orders", "--format", "json")
    assert made.returncode == 0, made.describe()
    (summary,) = made.json()
    assert summary["kind"] == "full" and summary["rows"] == 60
    snapshot = ws.read()

    out = tmp_path / "out.parquet"
    to_file = ws.steward("restore", "orders", "--to", out)
    assert to_file.returncode == 0, to_file.describe()
    assert_same_data(pq.read_table(out), snapshot)

    to_table = ws.steward(
        "restore", "orders", "--snapshot", summary["id"], "--to-table", "restored"
    )
    assert to_table.returncode == 0, to_table.describe()
    assert_same_data(ws.read("restored"), snapshot)

    ws.put(sample_table(25, offset=500))
    replaced_data = ws.read()
    replaced = ws.steward("restore", "orders", "--snapshot", summary["id"], "--replace", "--yes")
    assert replaced.returncode == 0, replaced.describe()
    assert_same_data(ws.read(), snapshot)

    # The data it replaced was snapshotted first, tagged, and restores exactly.
    (safety,) = [m for m in ws.snapshots() if "before-restore" in m.tags]
    assert safety.id in replaced.stdout
    assert safety.rows == 25
    ws.restore(safety, to_path=tmp_path / "safety.parquet")
    assert_same_data(pq.read_table(tmp_path / "safety.parquet"), replaced_data)


def test_restore_to_csv_reads_back_as_the_snapshot(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, make_live("csv", tmp_path))
    ws.put(sample_table(binary=False))
    manifest = ws.backup()
    ws.restore(manifest, to_path=ws.live.path("restored"))  # type: ignore[attr-defined]
    assert_same_data(ws.read("restored"), ws.read())


@pytest.fixture
def encrypted_workspace(duckdb_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    duckdb_workspace.put(sample_table())
    duckdb_workspace.encrypt(monkeypatch)
    duckdb_workspace.backup()
    return duckdb_workspace


@pytest.mark.parametrize(
    ("passphrase", "expected"),
    [("not the passphrase", "passphrase"), (None, PASSPHRASE_ENV)],
    ids=["wrong", "missing"],
)
def test_encrypted_repository_refuses_a_wrong_or_missing_passphrase(
    encrypted_workspace: Workspace, passphrase: str | None, expected: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.parquet"
    result = encrypted_workspace.steward(
        "restore", "orders", "--to", out, env={PASSPHRASE_ENV: passphrase}
    )
    assert result.returncode == 2, result.describe()
    assert expected in result.error_line()
    assert not out.exists()

    backup = encrypted_workspace.cli("backup", "orders", env={PASSPHRASE_ENV: passphrase})
    assert backup.returncode == 2, backup.describe()
    assert expected in backup.error_line()
    assert len(encrypted_workspace.snapshots()) == 1


def test_postgres_numeric_without_precision_round_trips(postgres_url: str, tmp_path: Path) -> None:
    """PostgreSQL's plain ``numeric`` (no precision) is common; its values must survive."""

    live = PostgresLive(postgres_url)
    ws = Workspace(tmp_path, live)
    live.execute(f'CREATE TABLE "{live.schema}".orders (id bigint, amount numeric)')
    live.execute(
        f'INSERT INTO "{live.schema}".orders VALUES (1, 123456789012345678901234567890.123456789),'
        " (2, -0.5), (3, NULL), (4, 42)"
    )
    manifest = ws.backup()
    snapshot = ws.read()
    out = tmp_path / "out.parquet"
    ws.restore(manifest, to_path=out)
    assert_same_data(pq.read_table(out), snapshot)
    amounts = sorted((row["id"], row["amount"]) for row in pq.read_table(out).to_pylist())
    # 39 digits do not fit Arrow's 38-digit decimals: the value is kept exactly as text.
    assert amounts[0] == (1, "123456789012345678901234567890.123456789")
    assert amounts[1][1] == "-0.5"


def test_postgres_numeric_without_precision_streams_as_exact_decimals(
    postgres_url: str, tmp_path: Path
) -> None:
    """Within 38 digits, plain ``numeric`` becomes a decimal just wide enough."""
    from decimal import Decimal

    live = PostgresLive(postgres_url)
    ws = Workspace(tmp_path, live)
    live.execute(f'CREATE TABLE "{live.schema}".orders (id bigint, amount numeric)')
    live.execute(
        f'INSERT INTO "{live.schema}".orders VALUES (1, 1234567890.123456789), (2, -0.5), (3, NULL)'
    )
    manifest = ws.backup()
    out = tmp_path / "out.parquet"
    ws.restore(manifest, to_path=out)
    table = pq.read_table(out)
    assert str(table.schema.field("amount").type) == "decimal128(19, 9)"
    amounts = sorted((row["id"], row["amount"]) for row in table.to_pylist())
    assert amounts[0] == (1, Decimal("1234567890.123456789"))
    assert amounts[1][1] == Decimal("-0.500000000")


def test_sqlite_column_whose_type_shows_only_after_the_first_batch(tmp_path: Path) -> None:
    """SQLite columns are typed by their values: NULLs first, text later (beyond 65,536
    rows, the engine's batch size) is an ordinary table, not a reason to crash."""
    import sqlite3

    live = SQLiteLive(tmp_path / "legacy.sqlite")
    ws = Workspace(tmp_path, live)
    rows = 70_000
    connection = sqlite3.connect(live.path)
    with connection:
        connection.execute("CREATE TABLE orders (id INTEGER, note TEXT, amount NUMERIC)")
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)",
            (
                (n, None if n < 69_000 else f"late {n}", 5 if n < 69_000 else 1.5)
                for n in range(rows)
            ),
        )
    connection.close()
    manifest = ws.backup()
    assert manifest.rows == rows
    out = tmp_path / "out.parquet"
    ws.restore(manifest, to_path=out)
    restored = pq.read_table(out)
    assert restored.num_rows == rows
    assert restored.column("note").null_count == 69_000
    assert sorted(v for v in restored.column("note").to_pylist() if v)[0] == "late 69000"


def test_duckdb_to_table_keeps_nested_interval_and_small_integer_types(
    duckdb_workspace: Workspace,
) -> None:
    """``--to-table`` creates the table from the snapshot's schema: a list must stay a
    list, an interval an interval, a TINYINT a TINYINT (not TEXT or SMALLINT)."""
    assert isinstance(duckdb_workspace.live, DuckDBLive)
    duckdb_workspace.live.sql(
        """CREATE TABLE orders AS SELECT i AS id, [i, i + 1] AS items, {'qty': i} AS detail,
                  INTERVAL (i) DAY AS wait, i::TINYINT AS small, i::UTINYINT AS tiny,
                  TIME '12:34:56.789' AS at_time
           FROM range(3) t(i)"""
    )
    manifest = duckdb_workspace.backup()
    duckdb_workspace.restore(manifest, to_table="restored")
    assert_same_data(duckdb_workspace.read("restored"), duckdb_workspace.read())
