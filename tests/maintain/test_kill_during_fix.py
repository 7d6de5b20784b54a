"""``kill -9`` of a running ``steward fix``: the live table is entirely old or entirely new.

Each fix adds 1 to ``v`` in every row of a table where ``v`` starts equal to ``id``, so
the table is consistent exactly when every row has the same ``v - id``: the number of
fixes that committed. Real ``steward`` processes are killed at random instants
(the seed is printed on failure), then the table is read back.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlglot import exp

from .conftest import Shop, make_shop, steward_command, steward_environment

ROWS = 100_000
KILLS = 6
FIX = ("fix", "orders", "--set", "v = v + 1", "--yes")


def big_table() -> pa.Table:
    ids = pa.array(range(ROWS), type=pa.int64())
    pad = pa.array([f"row {n} " + "x" * 40 for n in range(ROWS)], type=pa.string())
    return pa.table({"id": ids, "v": ids, "pad": pad})


def shift(shop: Shop) -> int:
    """How many fixes the table shows; fails unless every row shows the same number."""
    relation = shop.relation()
    difference = exp.Sub(this=exp.column("v"), expression=exp.column("id"))
    query = exp.select(
        exp.Count(this=exp.Star()),
        exp.Count(this=exp.Distinct(expressions=[difference])),
        exp.Min(this=difference.copy()),
    ).from_(relation)
    [(count, distinct, smallest)] = shop.read(query)
    assert (count, distinct) == (ROWS, 1), f"a mixed table: {count} rows, {distinct} shifts"
    return int(smallest)


def writing(shop: Shop, postgres: Any) -> bool:
    """Whether a fix is inside its write right now, as the outside world can tell."""
    if shop.kind == "parquet":
        return any(shop.file.parent.glob(".orders.parquet.*"))
    if shop.kind == "sqlite":
        # Once the journal is big, changed pages have spilled into the database file.
        journal = shop.database.with_name(shop.database.name + "-journal")
        return journal.exists() and journal.stat().st_size > 1 << 20
    if shop.kind == "duckdb":
        return shop.database.with_name(shop.database.name + ".wal").exists()
    found = postgres.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'UPDATE%'"
    ).fetchone()
    return bool(found and found[0])


def wait_for_write(shop: Shop, process: subprocess.Popen[bytes], limit: float) -> bool:
    deadline = time.monotonic() + limit
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(shop.pg_connect()) if shop.kind == "postgres" else None
        while time.monotonic() < deadline and process.poll() is None:
            if writing(shop, postgres):
                return True
            time.sleep(0.001)
    return False


def start_fix(folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*steward_command(), *FIX],
        cwd=folder,
        env=steward_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("kind", ["parquet", "duckdb", "sqlite", "postgres"])
def test_kill_9_leaves_the_table_entirely_old_or_entirely_new(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    shop = make_shop(request, tmp_path, kind)
    shop.put_table(big_table())
    shop.configure(checks=["row_count: {min: 1}"])
    seed = int(os.environ.get("STEWARD_TEST_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)

    clock = time.monotonic()
    shop.ok(*FIX)
    duration = time.monotonic() - clock
    fixes = shift(shop)
    assert fixes == 1

    caught_writing = 0
    for attempt in range(KILLS):
        process = start_fix(tmp_path)
        if attempt % 2:
            # Aim at the write itself: it is a small part of a run (the snapshot is most).
            caught = wait_for_write(shop, process, duration * 3)
            time.sleep(rng.uniform(0, 0.02))
            caught_writing += caught and process.poll() is None
        else:
            time.sleep(rng.uniform(0.05, duration))
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=60)
        now = shift(shop)
        assert now in (fixes, fixes + 1), (
            f"seed {seed}, kill {attempt}: {now} fixes after {fixes}; {stderr.decode()}"
        )
        fixes = now

    print(f"seed {seed}: {caught_writing} of {KILLS} kills landed while writing")
    assert caught_writing, f"seed {seed}: no kill landed inside a write; the test tested less"
    # Whatever the kills left behind (locks, temp files, a DuckDB WAL), the next fix works.
    shop.ok(*FIX)
    assert shift(shop) == fixes + 1
    if kind == "parquet":
        assert [p.name for p in shop.file.parent.glob("*.parquet")] == ["orders.parquet"]
