"""Real processes: kill -9 at random moments, flipped bytes, two writers, encryption.

Every random choice comes from a seed shown in the assertion messages, so a failure can be
replayed with ``STEWARD_TEST_SEED=<seed>``.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasteward.errors import SourceError
from datasteward.services.backup import Manifest, open_repository

from .data import fingerprint
from .sources import DuckDBLive, make_live
from .workspace import Workspace

SEED = int(os.environ.get("STEWARD_TEST_SEED") or random.randrange(1 << 30))


def orders_sql(stop: int, start: int = 0) -> str:
    return f"""
        SELECT i AS id, (i * 7919 % 5000)::INTEGER AS customer_id,
               ((i * 31 % 100000) / 100)::DECIMAL(12, 2) AS amount,
               ['new', 'paid', 'shipped', 'cancelled'][1 + i % 4] AS status,
               TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL 17 SECOND AS created_at,
               'note ' || md5(i::VARCHAR) AS note
        FROM range({start}, {stop}) t(i)
    """


def orders_table(rows: int, version: int) -> pa.Table:
    with duckdb.connect() as connection:
        table = connection.sql(orders_sql(rows)).to_arrow_table()
        connection.register("base", table)
        return connection.sql(
            f"SELECT * REPLACE (note || ' v{version}' AS note) FROM base"
        ).to_arrow_table()


def duckdb_live(ws: Workspace) -> DuckDBLive:
    assert isinstance(ws.live, DuckDBLive)
    return ws.live


def kill(process: subprocess.Popen[str]) -> str:
    """SIGKILL (no cleanup of any kind runs); returns what the process wrote to stderr."""
    process.kill()
    return process.communicate(timeout=60)[1]


def snapshot_files(ws: Workspace) -> set[str]:
    folder = ws.repository / "snapshots"
    return (
        {p.name for p in folder.iterdir() if not p.name.startswith(".")}
        if folder.exists()
        else set()
    )


def assert_verifies(ws: Workspace, context: str) -> None:
    verify = ws.cli("verify", "--read-data")
    assert verify.returncode == 0, f"{context}\n{verify.describe()}"


# -- kill -9 during backup -------------------------------------------------------------------


def chunk_files(ws: Workspace) -> int:
    folder = ws.repository / "chunks"
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> float:
    """Poll until ``condition`` holds or the process ends; returns the time it took."""
    started = time.monotonic()
    while not condition() and process.poll() is None:
        time.sleep(0.002)
    return time.monotonic() - started


def test_killed_backups_leave_no_partial_snapshot(duckdb_workspace: Workspace) -> None:
    ws = duckdb_workspace
    # Many small chunks: a write long enough for the kills to land in (100,000 rows in
    # 0.2 MiB chunks stopped being enough once a backup's start-up got faster).
    rows = 250_000
    ws.configure(["orders"], backups={"chunk_mib": 0.1})
    duckdb_live(ws).sql(f"CREATE TABLE orders AS {orders_sql(rows)}")

    # A complete backup first, to learn when chunks start and how long writing them takes.
    process = ws.start("backup", "orders", "--full")
    until_chunks = wait_for(lambda: chunk_files(ws) > 0, process)
    writing = wait_for(lambda: bool(snapshot_files(ws)), process)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert len(ws.snapshots()) == 1

    rng = random.Random(SEED)
    # At least three kills; more (up to eight) until one lands mid-write, since on a
    # loaded machine a backup can finish before its kill arrives.
    for run in range(8):
        if run >= 3:
            report = open_repository(ws.project).verify()
            if report.unreferenced_chunks + report.temp_files > 0:
                break
        # New values in every row: the killed backup has every chunk to write.
        duckdb_live(ws).sql(f"UPDATE orders SET note = note || '{run}'")
        before = chunk_files(ws)
        process = ws.start("backup", "orders", "--full")
        if run == 0:  # anywhere: reading the source, holding the lock, writing
            delay = (until_chunks + writing) * rng.uniform(0.3, 1.0)
            time.sleep(delay)
        else:  # while chunks are being written, before the manifest
            wait_for(lambda: chunk_files(ws) > before, process)  # noqa: B023
            delay = writing * rng.uniform(0.0, 0.7)
            time.sleep(delay)
        finished = process.poll()
        stderr = kill(process)
        context = f"seed {SEED}, run {run}, killed {delay:.2f} s in (exit code then: {finished})"
        assert finished in (None, 0), f"{context}\n{stderr}"
        assert_verifies(ws, context)
        listed = ws.snapshots()
        assert all(m.rows == rows for m in listed), context
        assert 1 <= len(listed) <= run + 2, context
    report = open_repository(ws.project).verify()
    assert report.unreferenced_chunks + report.temp_files > 0, "no kill hit a backup mid-write"

    after = ws.cli("backup", "orders", "--full")  # the dead writer's lock is no obstacle
    assert after.returncode == 0, f"seed {SEED}\n{after.describe()}"
    latest = ws.snapshots()[-1]
    assert latest.id in after.stdout
    out = ws.folder / "latest.parquet"
    ws.restore(latest, to_path=out)
    assert fingerprint(pq.read_table(out)) == fingerprint(ws.read())


# -- kill -9 during restore --replace --------------------------------------------------------


def live_files(ws: Workspace) -> dict[str, tuple[int, int]]:
    """Name → (size, mtime) of the files holding the live data (with WAL and temp files)."""
    if isinstance(ws.live, DuckDBLive):
        folder, prefix = ws.live.path.parent, ws.live.path.name
    else:
        folder, prefix = ws.live.root, ""  # type: ignore[attr-defined]
    found = {}
    for path in folder.iterdir():
        if path.name.startswith(prefix) and path.is_file():
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                found[path.name] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.mark.parametrize("kind", ["duckdb", "parquet"])
def test_killed_replace_leaves_the_old_or_the_new_data(kind: str, tmp_path: Path) -> None:
    ws = Workspace(tmp_path, make_live(kind, tmp_path))
    # Every snapshot full: the restore's time goes to writing the live data.
    ws.configure(["orders"], backups={"full_every": 1})
    rows = 40_000
    ws.put(orders_table(rows, 1))
    old = ws.backup()
    states = {old.id: fingerprint(ws.read())}
    ws.put(orders_table(rows, 2))
    new = ws.backup()
    states[new.id] = fingerprint(ws.read())
    assert len(set(states.values())) == 2

    rng = random.Random(SEED)
    write_time: float | None = None
    for run in range(3):
        current = fingerprint(ws.read())
        assert current in states.values(), f"seed {SEED}, run {run}: mixed data"
        target = old if current == states[new.id] else new
        known = snapshot_files(ws)
        process = ws.start("restore", "orders", "--snapshot", target.id, "--replace", "--yes")
        # The safety snapshot's manifest marks the start of the write to the live data.
        wait_for(lambda: snapshot_files(ws) != known, process)  # noqa: B023
        writing = time.monotonic()
        if write_time is None:
            # The first run completes: it shows how long the live files keep changing.
            last_change, seen = writing, live_files(ws)
            while process.poll() is None:
                if (now := live_files(ws)) != seen:
                    last_change, seen = time.monotonic(), now
                time.sleep(0.002)
            _, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, stderr
            write_time = last_change - writing + 0.01
            assert fingerprint(ws.read()) == states[target.id]
            continue
        delay = write_time * rng.uniform(0.0, 1.0)
        time.sleep(delay)
        finished = process.poll()
        stderr = kill(process)
        context = f"seed {SEED}, run {run}, killed {delay:.3f} s into a {write_time:.3f} s write"
        assert finished in (None, 0), f"{context}: the restore failed\n{stderr}"
        assert fingerprint(ws.read()) in states.values(), f"{context}: mixed data"
    assert_verifies(ws, f"seed {SEED}")


def test_killed_replace_of_a_sqlite_table_leaves_readable_old_data(tmp_path: Path) -> None:
    """Killed inside its write transaction, the restore leaves a hot journal behind;
    the old rows must come back, and Steward must still be able to read the table."""
    ws = Workspace(tmp_path, make_live("sqlite", tmp_path))
    ws.configure(["orders"], backups={"full_every": 1})
    # Big enough that SQLite spills changed pages into the database file mid-transaction.
    ws.put(orders_table(50_000, 1))
    old = ws.backup()
    ws.put(orders_table(50_000, 2))
    live = fingerprint(ws.read())
    journal = tmp_path / "legacy.sqlite-journal"
    process = ws.start("restore", "orders", "--snapshot", old.id, "--replace", "--yes")
    # Kill once the journal is big: the table is half rewritten in the database file.
    while process.poll() is None and (not journal.exists() or journal.stat().st_size < 3 << 20):
        time.sleep(0.001)
    kill(process)
    assert journal.exists(), "the restore finished before it could be killed mid-write"
    try:
        seen = fingerprint(ws.read())
    except SourceError as error:
        pytest.fail(f"after the crash Steward cannot read the table: {error}")
    assert seen == live


# -- damage ----------------------------------------------------------------------------------


def flip_one_byte(path: Path, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(data))


@pytest.fixture
def damaged(duckdb_workspace: Workspace) -> tuple[Workspace, Manifest, Manifest]:
    """A full snapshot of many chunks, then a delta on it: the objects to damage."""
    ws = duckdb_workspace
    ws.configure(["orders"], backups={"chunk_mib": 0.05})
    duckdb_live(ws).sql(f"CREATE TABLE orders AS {orders_sql(5_000)}")
    first = ws.backup()
    duckdb_live(ws).sql("UPDATE orders SET status = 'refunded' WHERE id % 50 = 0")
    second = ws.backup()
    assert (first.kind, second.kind) == ("full", "delta") and len(first.data_chunks) > 3
    return ws, first, second


def flip_a_chunk(ws: Workspace, manifest: Manifest, rng: random.Random) -> str:
    chunk = rng.choice(manifest.data_chunks)
    flip_one_byte(ws.repository / "chunks" / chunk[:2] / chunk, rng)
    return chunk


def flip_the_manifest(ws: Workspace, manifest: Manifest, rng: random.Random) -> None:
    flip_one_byte(ws.repository / "snapshots" / manifest.id, rng)


def assert_refused(ws: Workspace, tmp_path: Path, *selection: str) -> None:
    """``restore`` to a file and in place both fail with one line; nothing is written."""
    live = fingerprint(ws.read())
    out = tmp_path / "out.parquet"
    for target in (("--to", str(out)), ("--replace", "--yes")):
        result = ws.cli("restore", "orders", *selection, *target)
        context = f"seed {SEED}\n{result.describe()}"
        assert result.returncode not in (0, 2), context  # damage, not a usage mistake
        assert "damaged" in result.error_line(), context
        assert not out.exists()
        assert fingerprint(ws.read()) == live


def test_verify_names_a_damaged_chunk_and_a_damaged_manifest(
    damaged: tuple[Workspace, Manifest, Manifest],
) -> None:
    ws, first, second = damaged
    rng = random.Random(SEED)
    chunk = flip_a_chunk(ws, first, rng)
    flip_the_manifest(ws, second, rng)
    verify = ws.cli("verify", "--read-data")
    context = f"seed {SEED}, chunk {chunk}\n{verify.describe()}"
    assert verify.returncode == 1, context
    assert chunk in verify.stdout and second.id in verify.stdout, context
    assert "Traceback" not in verify.stderr, context


def test_a_damaged_chunk_is_never_restored(
    damaged: tuple[Workspace, Manifest, Manifest], tmp_path: Path
) -> None:
    ws, first, second = damaged
    flip_a_chunk(ws, first, random.Random(SEED))
    assert_refused(ws, tmp_path, "--snapshot", first.id)
    # The delta rests on the damaged full snapshot.
    result = ws.cli("restore", "orders", "--snapshot", second.id, "--to", tmp_path / "d.parquet")
    assert result.returncode == 1, f"seed {SEED}\n{result.describe()}"
    assert "damaged" in result.error_line()
    assert not (tmp_path / "d.parquet").exists()


@pytest.mark.parametrize("by_id", [True, False], ids=["by-id", "latest"])
def test_a_damaged_manifest_is_never_restored(
    damaged: tuple[Workspace, Manifest, Manifest], tmp_path: Path, by_id: bool
) -> None:
    """Asked for by id or as the latest, a snapshot whose manifest is damaged is an error,
    not "not found" and not silently an older snapshot instead."""
    ws, _, second = damaged
    flip_the_manifest(ws, second, random.Random(SEED))
    assert_refused(ws, tmp_path, *(["--snapshot", second.id] if by_id else []))


def test_damage_in_the_latest_snapshot_blocks_neither_backups_nor_older_restores(
    damaged: tuple[Workspace, Manifest, Manifest], tmp_path: Path
) -> None:
    """Bit rot in the newest delta must not stop the next backup (it can be full) nor a
    ``--replace`` back to an intact older snapshot (its safety snapshot can be full)."""
    ws, first, second = damaged
    flip_a_chunk(ws, second, random.Random(SEED))
    ws.restore(first, to_path=tmp_path / "first.parquet")
    first_rows = pq.read_table(tmp_path / "first.parquet")

    backup = ws.cli("backup", "orders")
    assert backup.returncode == 0, f"seed {SEED}\n{backup.describe()}"
    restore = ws.cli("restore", "orders", "--snapshot", first.id, "--replace", "--yes")
    assert restore.returncode == 0, f"seed {SEED}\n{restore.describe()}"
    assert fingerprint(ws.read()) == fingerprint(first_rows)


# -- two writers -----------------------------------------------------------------------------


def test_two_concurrent_backups_both_succeed(duckdb_workspace: Workspace) -> None:
    ws = duckdb_workspace
    duckdb_live(ws).sql(f"CREATE TABLE orders AS {orders_sql(20_000)}")
    repository = open_repository(ws.project)
    # Hold the writer lock while both start: each has to wait for it, then for the other.
    with repository.writer_lock(purpose="the test"):
        processes = [ws.start("backup", "orders") for _ in range(2)]
        time.sleep(1.5)
        assert [p.poll() for p in processes] == [None, None]
        assert snapshot_files(ws) == set()
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert stderr == ""
    first, second = ws.snapshots()
    # One after the other: the second saw the first snapshot and stored a delta on it.
    assert (first.kind, second.kind, second.parent) == ("full", "delta", first.id)
    assert first.fingerprint == second.fingerprint
    assert_verifies(ws, "two writers")


# -- encryption ------------------------------------------------------------------------------


def test_an_encrypted_repository_holds_no_plaintext(
    duckdb_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = duckdb_workspace
    ws.encrypt(monkeypatch)
    secrets = [
        "Canary-Zebra-4417",
        "kanarienvogel-ünïcödé-Ω",
        "secret_column_name",
        "EMAIL@EXAMPLE",
    ]

    def rows(start: int, stop: int) -> pa.Table:
        return pa.table(
            {
                "id": list(range(start, stop)),
                "secret_column_name": [f"{secrets[n % 2]}-{n}" for n in range(start, stop)],
                "contact": [f"person{n}-EMAIL@EXAMPLE.com" for n in range(start, stop)],
            }
        )

    ws.put(rows(0, 2_000))
    full = ws.backup()
    ws.put(pa.concat_tables([rows(0, 1_500), rows(5_000, 5_100)]))
    delta = ws.backup(tags=["Canary-Zebra-4417-tag"])
    assert (full.kind, delta.kind) == ("full", "delta")

    stored = [p for p in ws.repository.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in stored) > 10_000
    for path in stored:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret!r} in plaintext in {path}"
            assert secret.lower().encode() not in content.lower(), f"{secret!r} in {path}"
