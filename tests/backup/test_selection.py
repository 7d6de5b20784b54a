"""Choosing the snapshot to restore: id or unique prefix, ``--at TIME``, ``--last-good``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasteward.errors import UsageError
from datasteward.services.backup import Manifest, find_snapshot, open_repository

from .sources import make_live
from .workspace import Workspace


def orders(rows: int, amount: float = 1.0) -> pa.Table:
    return pa.table({"id": list(range(rows)), "amount": [amount] * rows})


def zulu(moment: str) -> str:
    return moment.replace("+00:00", "Z")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, list[Manifest]]:
    """A workspace with snapshots of 10, 20 and 30 rows (oldest first), only read from."""
    folder = tmp_path_factory.mktemp("selection")
    ws = Workspace(folder, make_live("duckdb", folder))
    made = []
    for rows in (10, 20, 30):
        ws.put(orders(rows))
        made.append(ws.backup())
    return ws, made


@pytest.fixture
def three(shared: tuple[Workspace, list[Manifest]]) -> list[Manifest]:
    return shared[1]


@pytest.fixture
def ws(shared: tuple[Workspace, list[Manifest]]) -> Workspace:
    return shared[0]


def test_find_snapshot_by_id_prefix_and_time(ws: Workspace, three: list[Manifest]) -> None:
    repository = open_repository(ws.project)
    first, second, third = three

    def found(**selection: object) -> str:
        return find_snapshot(repository, "orders", **selection).id  # type: ignore[arg-type]

    assert found() == third.id
    assert found(snapshot_id=first.id) == first.id
    assert found(snapshot_id=second.id[:-3]) == second.id
    assert found(at=second.created) == second.id
    assert found(at=second.created - timedelta(microseconds=1)) == first.id
    assert found(at=third.created + timedelta(days=365)) == third.id
    for selection in (
        {"snapshot_id": "nope"},
        {"snapshot_id": first.id[:4]},
        {"at": first.created - timedelta(microseconds=1)},
    ):
        with pytest.raises(UsageError):
            found(**selection)


def test_restore_chooses_by_prefix_and_time(
    ws: Workspace, three: list[Manifest], tmp_path: Path
) -> None:
    first, second, _ = three
    by_prefix = ws.cli(
        "restore", "orders", "--snapshot", first.id[:-3], "--to", tmp_path / "a.parquet"
    )
    assert by_prefix.returncode == 0, by_prefix.describe()
    assert first.id in by_prefix.stdout
    assert pq.read_table(tmp_path / "a.parquet").num_rows == 10

    by_time = ws.cli(
        "restore", "orders", "--at", zulu(second.created_at), "--to", tmp_path / "b.parquet"
    )
    assert by_time.returncode == 0, by_time.describe()
    assert pq.read_table(tmp_path / "b.parquet").num_rows == 20


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (["--snapshot", "20000101T000000Z-0000"], "not found"),
        (["--snapshot", "20"], "ambiguous"),
        (["--at", "2001-01-01T00:00:00Z"], "2001-01-01"),
        (["--at", "yesterday-ish"], "--at"),
        (["--snapshot", "20", "--last-good"], "at most one"),
    ],
    ids=["unknown-id", "ambiguous-prefix", "before-any", "bad-time", "two-selectors"],
)
def test_selection_errors_exit_2_with_one_line(
    ws: Workspace, three: list[Manifest], tmp_path: Path, selection: list[str], expected: str
) -> None:
    out = tmp_path / "out.parquet"
    result = ws.cli("restore", "orders", *selection, "--to", out)
    assert result.returncode == 2, result.describe()
    assert expected in result.error_line()
    assert not out.exists()


def test_last_good_is_the_latest_snapshot_taken_after_a_passing_scan(
    duckdb_workspace: Workspace, tmp_path: Path
) -> None:
    ws = duckdb_workspace
    ws.configure(
        ["orders"], checks={"orders": [{"between": {"column": "amount", "min": 0, "max": 100}}]}
    )
    out = tmp_path / "out.parquet"
    ws.put(orders(5))
    never_scanned = ws.backup()
    none_good = ws.cli("restore", "orders", "--last-good", "--to", out)
    assert none_good.returncode == 2, none_good.describe()
    assert "orders" in none_good.error_line()

    ws.put(orders(7, amount=2.5))
    assert ws.cli("scan", "orders").returncode == 0
    good = ws.backup()
    ws.put(orders(9, amount=-1.0))
    assert ws.cli("scan", "orders").returncode == 1
    bad = ws.backup()
    ws.put(orders(11, amount=3.0))  # fine again, but not scanned since the failure
    unscanned = ws.backup()

    listed = ws.cli("snapshots", "orders", "--format", "json")
    assert listed.returncode == 0, listed.describe()
    entries = listed.json()
    assert [e["id"] for e in entries] == [never_scanned.id, good.id, bad.id, unscanned.id]
    assert [e["quality"] for e in entries] == ["unknown", "pass", "fail", "fail"]
    required = {"id", "dataset", "created_at", "rows", "bytes", "bytes_added", "tags", "quality"}
    assert all(required <= set(entry) for entry in entries)
    assert [e["rows"] for e in entries] == [5, 7, 9, 11]

    restored = ws.cli("restore", "orders", "--last-good", "--to", out)
    assert restored.returncode == 0, restored.describe()
    assert good.id in restored.stdout
    assert pq.read_table(out).sort_by("id").equals(orders(7, amount=2.5))
