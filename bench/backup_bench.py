"""Benchmark: ``steward backup`` and ``steward restore`` against DuckDB's own COPY.

Usage (from the repository root, with the project's virtualenv)::

    python bench/backup_bench.py                         # 5,000,000 rows, both sources
    python bench/backup_bench.py --rows 200000 --repeat 3 --markdown
    python bench/backup_bench.py --source duckdb --profile   # where a backup's time goes

What is measured (DESIGN.md principle 7: measured, not assumed):

* A realistic orders table is generated with DuckDB SQL, deterministically, and cached
  under ``bench/.data/`` keyed by generator version and row count: as one Parquet file,
  as a table in a DuckDB file, and a changed version (1% of rows updated, spread through
  the table, and 1% new rows appended) for the incremental backup.
* Each source (``files`` reading the Parquet file, ``duckdb`` reading the DuckDB file)
  is benchmarked in its own temporary project. Every round runs, in an order that flips
  each round: the baseline, a plain python process that runs DuckDB's own
  ``COPY (SELECT * FROM orders) TO 'copy.parquet'``; ``steward backup orders --full``
  into an empty repository, followed by ``steward restore orders --to restored.parquet``
  (and ``--to-table orders_restored`` on the DuckDB source) from that snapshot; and the
  same backup into an empty encrypted repository. One untimed warm-up round comes first.
* Then the data is changed (the Parquet file is swapped for the changed one; the DuckDB
  table gets the same UPDATE and INSERT) and ``steward backup orders`` stores a delta,
  each round into a fresh copy of the repository holding only the full snapshot.
  ``bytes_added`` comes from ``steward snapshots orders --format json``.
* Every child runs under a tiny launcher that spawns it and reads its wall time, CPU
  time and peak RSS from ``os.wait4`` (``ru_maxrss`` of a child spawned by a large parent
  can report the parent's size; the launcher stays small). Figures are medians over
  ``--repeat`` rounds; peak RSS is the largest of the rounds.
* The machine has 2 CPUs and may be shared: before each round the benchmark waits (up to
  ``--quiet-wait`` seconds) for other processes to leave the CPUs idle, and it prints the
  share of CPU time other processes took during each round (from ``/proc/stat`` minus its
  own and its children's ``getrusage``), so a noisy figure is visible as such.
* The restored data is compared with the source (row count and an order-independent
  hash sum); a mismatch is printed loudly and makes the exit code 1.
* ``--profile`` instead runs each step once inside a process of its own with every phase
  of the pipeline wrapped in a timer and the process's RSS sampled per phase: full
  backup (engine stream, rebatch, fingerprint, Arrow IPC encoding, BLAKE3 chunk id, zstd,
  AES-GCM or the BLAKE3 tag, file write and fsync), a cProfile of it, restore to a file
  and to a table, the delta backup (scratch loads and SQL statements) and its restore;
  then the imports a backup pays for at start-up (``python -X importtime``).

Targets: ``steward backup`` peak RSS under 500 MB and wall time at most the COPY's
(ratio <= 1.0), also with encryption on; the delta after 1% updates + 1% inserts stores
at most 5% of the full snapshot's stored bytes; restore at most as long as the backup.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from child_process import Sample, byte_compile_steward, stack_floor, steward_command
from child_process import measure as measure_child

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / ".data"
GENERATOR_VERSION = 1  # bump when the generated data changes, so caches are rebuilt

MEMORY_TARGET_BYTES = 500 * 10**6  # steward backup peak RSS
TIME_TARGET = 1.0  # steward backup / DuckDB COPY, wall time
DELTA_TARGET = 0.05  # bytes stored by the delta / bytes stored by the full snapshot
RESTORE_TARGET = 1.0  # steward restore / steward backup, wall time
SOURCES = ("files", "duckdb")
PASSPHRASE_ENV = "STEWARD_BENCH_PASSPHRASE"

# -- the generated data ------------------------------------------------------------------

FIRST_ORDER = "2025-01-01 00:00:00+00"
HISTORY_US = 365 * 86_400 * 1_000_000
CHANGED_ROWS = "order_id % 100 = 37"  # 1% of the rows, evenly through the table
NEW_ROWS_SHARE = 0.01

FIRST_NAMES = (
    "emma", "liam", "olivia", "noah", "ava", "lucas", "mia", "elias", "sofia", "mateo", "chloe",
    "zoe", "jose", "hannah", "omar", "aisha", "kenji", "priya", "lars", "ingrid", "mohammed",
    "grace", "tomasz", "lea", "diego", "yuki", "arjun", "freya", "marco", "nora",
)  # fmt: skip
LAST_NAMES = (
    "smith", "muller", "garcia", "rossi", "dubois", "devries", "kowalski", "andersson", "tanaka",
    "sharma", "obrien", "silva", "jones", "schmidt", "martin", "nowak", "khan", "johansson",
    "fernandez", "brown", "lefevre", "bianchi", "patel", "sato", "wilson",
)  # fmt: skip
DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "web.de", "orange.fr", "proton.me")
COUNTRIES = ("US", "US", "US", "GB", "GB", "DE", "DE", "FR", "NL", "ES", "IT", "SE", "PL",
             "CA", "AU", "BR", "JP", "IN")  # fmt: skip
CHANNELS = ("web", "web", "web", "app", "app", "store", "phone")
DISCOUNTS = (0.05, 0.10, 0.15, 0.20, 0.25)


def sql_text(value: str) -> str:
    """A SQL string literal (the generator only quotes its own values)."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Any) -> str:
    return "[" + ", ".join(sql_text(v) if isinstance(v, str) else str(v) for v in values) + "]"


def customer_count(rows: int) -> int:
    return max(1_000, rows // 25)


def _macros() -> list[str]:
    return [
        "SET TimeZone = 'UTC'",
        # A uniform draw in (0, 1) and a 1-based index in [1, n]: pure functions of the row
        # and a stream number k, so the data is the same on every run.
        "CREATE TEMP MACRO unit(x, k) AS ((hash(x, k) % 1000000) + 0.5) / 1000000.0",
        "CREATE TEMP MACRO pick(x, k, n) AS (1 + hash(x, k) % n)::BIGINT",
        f"CREATE TEMP MACRO email_of(c) AS ({sql_list(FIRST_NAMES)})[pick(c, 20, "
        f"{len(FIRST_NAMES)})] || '.' || ({sql_list(LAST_NAMES)})[pick(c, 21, "
        f"{len(LAST_NAMES)})] || c::VARCHAR || '@' || ({sql_list(DOMAINS)})"
        f"[pick(c, 22, {len(DOMAINS)})]",
    ]


def _orders_sql(first: int, count: int, rows: int) -> str:
    """Orders number ``first`` … ``first + count - 1`` of a history of ``rows`` orders."""
    step = HISTORY_US // rows  # created_at grows with the order number, one step of jitter
    customers = customer_count(rows)
    amount = (  # log-normal around 60, like real baskets
        "round(greatest(1, least(5000, exp(ln(60) + 0.75 * sqrt(-2 * ln(unit(i, 8)))"
        " * cos(2 * pi() * unit(i, 9))))), 2)::DECIMAL(12, 2)"
    )
    return f"""
        WITH drawn AS (
            SELECT i,
                   CASE WHEN unit(i, 1) < 0.004 THEN NULL
                        ELSE 1 + floor({customers} * pow(unit(i, 2), 2))::BIGINT
                   END AS customer_id,
                   TIMESTAMPTZ {sql_text(FIRST_ORDER)}
                       + to_microseconds(({step} * i + hash(i, 3) % {step})::BIGINT) AS created_at,
                   CASE WHEN unit(i, 5) < 0.05 THEN 'cancelled' WHEN unit(i, 5) < 0.08 THEN 'new'
                        WHEN unit(i, 5) < 0.20 THEN 'paid' ELSE 'shipped' END AS status
            FROM range({first}, {first + count}) AS t(i)
        )
        SELECT 1000001 + i AS order_id,
               customer_id,
               created_at::DATE AS order_date,
               created_at,
               CASE WHEN status = 'shipped'
                    THEN created_at + to_microseconds((3600e6 * (2 + 94 * unit(i, 6)))::BIGINT)
                    END AS shipped_at,
               status,
               ({sql_list(CHANNELS)})[pick(i, 10, {len(CHANNELS)})] AS channel,
               pick(i, 11, 8)::INTEGER AS items,
               {amount} AS amount,
               CASE WHEN unit(i, 12) < 0.12
                    THEN ({sql_list(DISCOUNTS)})[pick(i, 13, {len(DISCOUNTS)})]::DOUBLE
                    END AS discount,
               email_of(coalesce(customer_id, 1000000000 + i)) AS email,
               ({sql_list(COUNTRIES)})[pick(coalesce(customer_id, i), 14, {len(COUNTRIES)})]
                   AS country
        FROM drawn
    """


def change_statements(rows: int) -> list[str]:
    """The change between the two backups: 1% of orders move on a step, 1% are new."""
    new_rows = max(1, int(rows * NEW_ROWS_SHARE))
    return [
        *_macros(),
        f"""UPDATE orders SET
               status = CASE status WHEN 'new' THEN 'paid' WHEN 'paid' THEN 'shipped'
                                    WHEN 'shipped' THEN 'cancelled' ELSE 'new' END,
               shipped_at = CASE WHEN status = 'paid' THEN created_at + INTERVAL 2 DAY
                                 WHEN status = 'shipped' THEN NULL ELSE shipped_at END,
               amount = CASE WHEN status = 'shipped' THEN 0 ELSE amount END
           WHERE {CHANGED_ROWS}""",
        f"INSERT INTO orders {_orders_sql(rows, new_rows, rows)}",
        "CHECKPOINT",
    ]


@dataclass(frozen=True)
class Data:
    rows: int
    folder: Path

    @property
    def parquet(self) -> Path:
        return self.folder / "orders.parquet"

    @property
    def changed_parquet(self) -> Path:
        return self.folder / "orders_changed.parquet"

    @property
    def database(self) -> Path:
        return self.folder / "orders.duckdb"

    @property
    def changed_rows(self) -> int:
        return self.rows + max(1, int(self.rows * NEW_ROWS_SHARE))


def generate(rows: int) -> Data:
    """The orders as Parquet and as a DuckDB table, and the changed Parquet, made once."""
    import duckdb

    data = Data(rows, DATA_DIR / f"backup-v{GENERATOR_VERSION}-{rows}")
    if all(p.exists() for p in (data.parquet, data.changed_parquet, data.database)):
        return data
    print(f"generating {rows:,} orders in {data.folder} …", file=sys.stderr)
    clock = time.perf_counter()
    scratch = Data(rows, data.folder.with_name(data.folder.name + ".tmp"))
    shutil.rmtree(scratch.folder, ignore_errors=True)
    scratch.folder.mkdir(parents=True)
    with duckdb.connect(str(scratch.database)) as con:
        for statement in _macros():
            con.execute(statement)
        con.execute(f"CREATE TABLE orders AS {_orders_sql(0, rows, rows)} ORDER BY order_id")
        con.execute(f"COPY orders TO {sql_text(str(scratch.parquet))} (FORMAT parquet)")
        con.execute("CHECKPOINT")
    with duckdb.connect() as con:
        con.execute(
            f"CREATE TABLE orders AS SELECT * FROM read_parquet({sql_text(str(scratch.parquet))})"
        )
        for statement in change_statements(rows):
            con.execute(statement)
        con.execute(f"COPY orders TO {sql_text(str(scratch.changed_parquet))} (FORMAT parquet)")
    shutil.rmtree(data.folder, ignore_errors=True)
    scratch.folder.rename(data.folder)  # complete files appear together, or not at all
    print(f"  done in {time.perf_counter() - clock:.1f} s", file=sys.stderr)
    return data


# -- the project, the contenders -----------------------------------------------------------


@dataclass
class Project:
    """One source's temporary steward project: configs, data, repositories, outputs."""

    source: str
    data: Data
    workdir: Path
    env: dict[str, str]

    @property
    def lake(self) -> Path:
        return self.workdir / "lake"

    @property
    def database(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    @property
    def plain_repository(self) -> Path:
        return self.workdir / "repository"

    @property
    def encrypted_repository(self) -> Path:
        return self.workdir / "repository-encrypted"

    @property
    def saved_repository(self) -> Path:
        return self.workdir / "repository-full-only"

    @property
    def restored_parquet(self) -> Path:
        return self.workdir / "restored.parquet"

    @property
    def copy_parquet(self) -> Path:
        return self.workdir / "copy.parquet"

    @property
    def source_relation(self) -> str:
        """The orders, as DuckDB SQL the baseline and the checks read."""
        if self.source == "files":
            return f"read_parquet({sql_text(str(self.lake / 'orders.parquet'))})"
        return "orders"

    def config(self, encrypted: bool) -> Path:
        return self.workdir / ("steward-encrypted.yml" if encrypted else "steward.yml")


# The baseline process: import DuckDB, run the one COPY a data engineer would write.
BASELINE = """\
import duckdb

con = duckdb.connect({database!r}, read_only={read_only!r})
con.execute({copy!r})
"""

# What DuckDB itself needs to write the rows as a new table of the same file, no Steward
# involved (insertion order off, as the restore has it): a floor under `restore --to-table`.
TABLE_COPY_NAME = "orders_table_copy"
TABLE_COPY = """\
import duckdb

con = duckdb.connect({database!r})
con.execute("SET preserve_insertion_order = false")
con.execute("BEGIN")
con.execute('CREATE TABLE "{table}" AS SELECT * FROM orders')
con.execute("COMMIT")
con.close()
"""


def make_project(source: str, data: Data, workdir: Path) -> Project:
    project = Project(source, data, workdir, {**os.environ, PASSPHRASE_ENV: "bench passphrase"})
    if source == "files":
        project.lake.mkdir()
        (project.lake / "orders.parquet").symlink_to(data.parquet)
        source_yaml = f"{{type: files, root: {json.dumps(str(project.lake))}}}"
        location = "path: orders.parquet"
    else:
        shutil.copyfile(data.database, project.database)
        source_yaml = f"{{type: duckdb, path: {json.dumps(str(project.database))}}}"
        location = "table: orders"
    for encrypted in (False, True):
        repository = project.encrypted_repository if encrypted else project.plain_repository
        encryption = f"\n  encryption: {{passphrase_env: {PASSPHRASE_ENV}}}" if encrypted else ""
        text = textwrap.dedent(f"""\
            version: 1
            store: {json.dumps(f"sqlite:///{workdir / 'steward.db'}")}
            backups:
              repository: {json.dumps(str(repository))}""")
        text += encryption + textwrap.dedent(f"""
            sources:
              data: {source_yaml}
            datasets:
              orders: {{source: data, {location}, key: [order_id]}}
            """)
        project.config(encrypted).write_text(text, encoding="utf-8")
    database = str(project.database) if source == "duckdb" else ":memory:"
    copy = (
        f"COPY (SELECT * FROM {project.source_relation}) "
        f"TO {sql_text(str(project.copy_parquet))} (FORMAT parquet)"
    )
    baseline = BASELINE.format(database=database, read_only=source == "duckdb", copy=copy)
    (workdir / "baseline.py").write_text(baseline, encoding="utf-8")
    floor = stack_floor(baseline, "duckdb", pyarrow=True)
    (workdir / "stack_floor.py").write_text(floor, encoding="utf-8")
    if source == "duckdb":
        (workdir / "table_copy.py").write_text(
            TABLE_COPY.format(database=database, table=TABLE_COPY_NAME), encoding="utf-8"
        )
    return project


def apply_change(project: Project) -> None:
    """Turn the source into the changed data: new Parquet file, or UPDATE + INSERT."""
    if project.source == "files":
        link = project.lake / "orders.parquet"
        link.unlink()
        link.symlink_to(project.data.changed_parquet)
        return
    import duckdb

    with duckdb.connect(str(project.database)) as con:
        for statement in change_statements(project.data.rows):
            con.execute(statement)


# -- running and measuring children -----------------------------------------------------


def measure(argv: list[str], cwd: Path, env: dict[str, str]) -> Sample:
    """Run ``argv`` to completion under the launcher; a failure ends the benchmark."""
    sample = measure_child(argv, cwd, env)
    if sample.exit_code != 0:
        sys.exit(f"{shlex.join(argv)} exited {sample.exit_code}:\n{sample.stderr}")
    return sample


@dataclass
class Contender:
    """One measured command, run after ``prepare`` (which clears what it writes)."""

    name: str
    argv: list[str]
    prepare: Callable[[], None] = lambda: None
    samples: list[Sample] = field(default_factory=list)

    def run(self, project: Project, record: bool = True) -> Sample:
        self.prepare()
        sample = measure(self.argv, project.workdir, project.env)
        if record:
            self.samples.append(sample)
        return sample

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def peak_bytes(self) -> float:
        return statistics.median(s.peak_bytes for s in self.samples)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)

    @property
    def max_peak_bytes(self) -> int:
        return max(s.peak_bytes for s in self.samples)


def remover(*paths: Path) -> Callable[[], None]:
    def remove() -> None:
        for path in paths:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)

    return remove


class OtherWork:
    """The share of the machine's CPU used by processes other than this benchmark's.

    All CPU time (``/proc/stat``) minus this process's and its waited-for descendants'
    (``getrusage``), over the wall time of the measured span times the CPU count. Load
    averages cannot tell the benchmark's own children from a neighbour's work.
    """

    def __init__(self) -> None:
        self.start = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float]:
        import resource

        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
        own = sum(
            usage.ru_utime + usage.ru_stime
            for usage in (
                resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN),
            )
        )
        return time.perf_counter(), busy, own

    def share(self) -> float:
        """Since the last call (or creation); resets the span."""
        then, now = self.start, self._now()
        self.start = now
        wall = (now[0] - then[0]) * (os.cpu_count() or 1)
        others = (now[1] - then[1]) - (now[2] - then[2])
        return max(0.0, others / wall) if wall > 0 else math.nan


NOISY_SHARE = 0.10  # other processes used more than this share of the CPUs: say so


def wait_for_quiet(limit_s: float) -> None:
    """Wait, at most ``limit_s``, until other processes leave the CPUs (nearly) idle."""
    deadline = time.monotonic() + limit_s
    announced = False
    while time.monotonic() < deadline:
        probe = OtherWork()
        time.sleep(2)
        share = probe.share()
        if share < NOISY_SHARE:
            return
        if not announced:
            print(f"  waiting for other work to finish (it uses {share:.0%} of the CPUs) …",
                  file=sys.stderr)  # fmt: skip
            announced = True


# -- checking the restored data ----------------------------------------------------------


def content_of(relation: str, database: Path | None = None) -> tuple[int, int]:
    """Row count and an order-independent sum of row hashes, computed by DuckDB."""
    import duckdb

    with duckdb.connect(str(database) if database else ":memory:", read_only=bool(database)) as con:
        con.execute("SET TimeZone = 'UTC'")
        names = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        hashed = ", ".join('"' + n.replace('"', '""') + '"' for n in names)
        row = con.execute(f"SELECT count(*), sum(hash({hashed})::HUGEINT) FROM {relation}")
        count, total = row.fetchall()[0]
    return int(count), int(total or 0)


def source_content(project: Project) -> tuple[int, int]:
    database = project.database if project.source == "duckdb" else None
    return content_of(project.source_relation, database)


# -- the benchmark of one source -----------------------------------------------------------


@dataclass
class SourceResult:
    source: str
    rows: int
    copy: Contender
    floor: Contender  # the COPY in a process that also imports DESIGN.md's stack
    backup: Contender
    encrypted: Contender
    restore_file: Contender
    restore_table: Contender | None
    table_copy: Contender | None  # DuckDB copying the table inside its file, no Steward
    delta: Contender
    delta_restore: Contender
    full_stored: int
    full_logical: int
    delta_stored: int
    delta_rows: int
    others_cpu: list[float]
    mismatches: list[str]

    @property
    def label(self) -> str:
        return "Parquet file" if self.source == "files" else "DuckDB file"

    @property
    def time_ratio(self) -> float:
        return self.backup.seconds / self.copy.seconds

    @property
    def encrypted_ratio(self) -> float:
        return self.encrypted.seconds / self.copy.seconds

    @property
    def delta_ratio(self) -> float:
        return self.delta_stored / self.full_stored

    def restore_ratio(self, restore: Contender) -> float:
        return restore.seconds / self.backup.seconds


def bench_source(source: str, data: Data, rounds: int, quiet_wait: float) -> SourceResult:
    with tempfile.TemporaryDirectory(prefix="steward-backup-bench-") as tmp:
        project = make_project(source, data, Path(tmp))
        steward = steward_command()
        plain = ["-c", str(project.config(False))]
        encrypted_config = ["-c", str(project.config(True))]
        copy = Contender(
            "DuckDB COPY", [sys.executable, "baseline.py"], remover(project.copy_parquet)
        )
        backup = Contender(
            "steward backup",
            [steward, "backup", "orders", "--full", "--format", "json", *plain],
            remover(project.plain_repository),
        )
        encrypted = Contender(
            "steward backup (encrypted)",
            [steward, "backup", "orders", "--full", "--format", "json", *encrypted_config],
            remover(project.encrypted_repository),
        )
        restore_file = Contender(
            "steward restore --to",
            [steward, "restore", "orders", "--to", str(project.restored_parquet), *plain],
            remover(project.restored_parquet),
        )
        restore_table = None
        if source == "duckdb":
            restore_table = Contender(
                "steward restore --to-table",
                [steward, "restore", "orders", "--to-table", "orders_restored", *plain],
                lambda: drop_table(project.database, "orders_restored"),
            )
        floor = Contender("COPY + stack imports", [sys.executable, "stack_floor.py"],
                          remover(project.copy_parquet))  # fmt: skip
        table_copy = None
        if source == "duckdb":
            table_copy = Contender(
                "DuckDB table copy",
                [sys.executable, "table_copy.py"],
                lambda: drop_table(project.database, TABLE_COPY_NAME),
            )
        restores = [c for c in (restore_file, restore_table, table_copy) if c is not None]
        groups = [[copy, floor], [backup, *restores], [encrypted]]
        print(f"benchmarking the {source} source at {data.rows:,} rows …", file=sys.stderr)
        others_cpu = []
        for round_no in range(rounds + 1):  # round 0 is an untimed warm-up
            wait_for_quiet(quiet_wait)
            other = OtherWork()
            for group in groups if round_no % 2 == 0 else groups[::-1]:
                for contender in group:
                    contender.run(project, record=round_no > 0)
            others_cpu.append(other.share())
            if round_no:
                shown = "  ".join(
                    f"{c.name.removeprefix('steward ')} {c.samples[-1].seconds:.2f} s"
                    for group in groups
                    for c in group
                )
                print(
                    f"  round {round_no}/{rounds} (others' CPU {others_cpu[-1]:.0%}): {shown}",
                    file=sys.stderr,
                )
        others_cpu = others_cpu[1:]
        expected = source_content(project)
        mismatches = check_restores(project, expected)
        full_summary = json.loads(backup.samples[-1].stdout)[0]
        if full_summary["rows"] != data.rows or full_summary["kind"] != "full":
            mismatches.append(f"full backup: {full_summary}")

        # The incremental backup, each round into the repository as the last backup left it.
        shutil.copytree(project.plain_repository, project.saved_repository)
        apply_change(project)
        delta = Contender(
            "steward backup (delta)",
            [steward, "backup", "orders", "--format", "json", *plain],
            lambda: restore_repository(project),
        )
        delta_restore = Contender(
            "steward restore (delta) --to",
            [steward, "restore", "orders", "--to", str(project.restored_parquet), *plain],
            remover(project.restored_parquet),
        )
        for round_no in range(rounds):
            wait_for_quiet(quiet_wait)
            delta.run(project)
            print(f"  delta {round_no + 1}/{rounds}: {delta.samples[-1].seconds:.2f} s",
                  file=sys.stderr)  # fmt: skip
        delta_restore.run(project)
        listed = measure(
            [steward, "snapshots", "orders", "--format", "json", *plain],
            project.workdir,
            project.env,
        )
        full, latest = json.loads(listed.stdout)[0], json.loads(listed.stdout)[-1]
        if latest["kind"] != "delta" or latest["rows"] != data.changed_rows:
            mismatches.append(f"delta backup: {latest}")
        changed = source_content(project)
        if changed[0] != data.changed_rows:
            mismatches.append(f"changed source has {changed[0]} rows, not {data.changed_rows}")
        restored = content_of(f"read_parquet({sql_text(str(project.restored_parquet))})")
        if restored != changed:
            mismatches.append(f"delta restore: restored {restored}, source {changed}")
        return SourceResult(
            source=source,
            rows=data.rows,
            copy=copy,
            floor=floor,
            backup=backup,
            encrypted=encrypted,
            restore_file=restore_file,
            restore_table=restore_table,
            table_copy=table_copy,
            delta=delta,
            delta_restore=delta_restore,
            full_stored=int(full["bytes_added"]),
            full_logical=int(full["bytes"]),
            delta_stored=int(latest["bytes_added"]),
            delta_rows=int(latest["rows"]),
            others_cpu=others_cpu,
            mismatches=mismatches,
        )


def drop_table(database: Path, table: str) -> None:
    import duckdb

    with duckdb.connect(str(database)) as con:
        con.execute(f'DROP TABLE IF EXISTS "{table}"')


def restore_repository(project: Project) -> None:
    """The repository as it was with only the full snapshot in it."""
    shutil.rmtree(project.plain_repository)
    shutil.copytree(project.saved_repository, project.plain_repository)


def check_restores(project: Project, expected: tuple[int, int]) -> list[str]:
    """The last restores hold exactly the source's rows (count and hash sum)."""
    problems = []
    restored = content_of(f"read_parquet({sql_text(str(project.restored_parquet))})")
    if restored != expected:
        problems.append(f"restore --to: {restored} (rows, hash sum), source {expected}")
    if project.source == "duckdb":
        restored = content_of("orders_restored", project.database)
        if restored != expected:
            problems.append(f"restore --to-table: {restored} (rows, hash sum), source {expected}")
    return problems


# -- in-process profiles: where the time and the memory go --------------------------------


class Probe:
    """Seconds per phase (summed over threads) and peak RSS per main-thread phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.phase = "other"
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Probe:
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sampler.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            rss = _rss_bytes()
            self.peak[self.phase] = max(self.peak.get(self.phase, 0), rss)

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds
        self.calls[phase] = self.calls.get(phase, 0) + 1

    def wrap(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            main = threading.current_thread() is threading.main_thread()
            outer = self.phase
            if main:
                self.phase = phase
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(phase, time.perf_counter() - start)
                if main:
                    self.phase = outer

        return timed

    def wrap_iterator(self, phase: str, iterator: Iterator[Any]) -> Iterator[Any]:
        """Time each ``next`` of ``iterator`` (including the work of what feeds it)."""
        step = self.wrap(phase, next)
        while True:
            try:
                item = step(iterator)
            except StopIteration:
                return
            yield item

    def report(self, title: str, wall_phase: str) -> None:
        print(f"\n{title}")
        wall = self.seconds[wall_phase]
        print(f"  {'phase':<44}{'seconds':>9}{'share':>7}{'calls':>7}{'peak RSS':>10}")
        for phase, seconds in sorted(self.seconds.items(), key=lambda item: -item[1]):
            peak = mb(self.peak[phase]) if phase in self.peak else ""
            print(f"  {phase:<44}{seconds:>7.2f} s{seconds / wall:>7.0%}"
                  f"{self.calls[phase]:>7}{peak:>10}")  # fmt: skip
        print(f"  peak RSS of the process: {mb(max(self.peak.values(), default=0))}; phases on "
              "worker threads overlap the main thread, so shares can sum past 100%")  # fmt: skip


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class _TimedZstd:
    """A zstd (de)compressor whose calls count as a phase."""

    def __init__(self, inner: Any, probe: Probe) -> None:
        self._inner, self._probe = inner, probe

    def compress(self, data: bytes) -> bytes:
        result: bytes = self._probe.wrap("zstd compress", self._inner.compress)(data)
        return result

    def decompress(self, data: bytes) -> bytes:
        result: bytes = self._probe.wrap("zstd decompress", self._inner.decompress)(data)
        return result


class _TimedConnection:
    """A scratch DuckDB connection whose statements count as phases, by their first words."""

    def __init__(self, inner: Any, probe: Probe) -> None:
        self._inner, self._probe = inner, probe

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def execute(self, sql: str, *args: Any) -> Any:
        words = " ".join(sql.split())
        phase = "scratch SQL: " + (words[:30] + "…" if len(words) > 31 else words)
        return self._probe.wrap(phase, self._inner.execute)(sql, *args)


@contextmanager
def instrumented(probe: Probe) -> Iterator[None]:
    """Wrap every phase of backup and restore in ``probe``'s timers."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    import datasteward.engines.duckdb as duckdb_engine
    import datasteward.repository.keys as keys
    import datasteward.repository.repository as repository
    import datasteward.repository.storage as storage
    import datasteward.services.backup.chunks as chunks
    import datasteward.services.backup.create as create
    import datasteward.services.backup.scratch as scratch
    from datasteward.services.backup.fingerprint import Fingerprint

    engine_phase = "engine stream (DuckDB → Arrow)"
    stream, rebatch = duckdb_engine.DuckDBEngine.stream, create.rebatch
    compressor, decompressor = keys.Codec._compressor, keys.Codec._decompressor
    scratch_init = scratch.Scratch.__init__

    def timed_stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        reader = probe.wrap("engine query start", stream)(self, *args, **kwargs)
        timed = probe.wrap_iterator(engine_phase, iter(reader))
        return pa.RecordBatchReader.from_batches(reader.schema, timed)

    def timed_rebatch(batches: Iterator[Any], target: int) -> Iterator[Any]:
        # Each ``next`` of the re-batched stream, minus the engine's share of it.
        pieces = rebatch(batches, target)
        while True:
            engine = probe.seconds.get(engine_phase, 0.0)
            start = time.perf_counter()
            batch = next(pieces, None)
            spent = time.perf_counter() - start
            probe.add(
                "rebatch (slice + combine)", spent - probe.seconds.get(engine_phase, 0.0) + engine
            )
            if batch is None:
                return
            yield batch

    def timed_scratch_init(self: Any) -> None:
        scratch_init(self)
        self.connection = _TimedConnection(self.connection, probe)

    patches: list[tuple[Any, str, Any]] = [
        (duckdb_engine.DuckDBEngine, "stream", timed_stream),
        (create, "rebatch", timed_rebatch),
        (keys.Codec, "_compressor", lambda self: _TimedZstd(compressor(self), probe)),
        (keys.Codec, "_decompressor", lambda self: _TimedZstd(decompressor(self), probe)),
        (scratch.Scratch, "__init__", timed_scratch_init),
        (AESGCM, "encrypt", probe.wrap("AES-GCM encrypt", AESGCM.encrypt)),
        (AESGCM, "decrypt", probe.wrap("AES-GCM decrypt", AESGCM.decrypt)),
        (
            pq.ParquetWriter,
            "write_batch",
            probe.wrap("Parquet write", pq.ParquetWriter.write_batch),
        ),
    ]
    wrapped = {
        create: [("encode_chunk", "encode (Arrow IPC + zstd, worker threads)")],
        chunks: [("decode_chunk", "decode (Arrow IPC, reader threads)")],
        chunks._Hashers: [("hash_sum", "fingerprint (reader threads)")],
        Fingerprint: [
            ("add_batch", "fingerprint (per batch)"),
            ("add_hashes", "fingerprint (sum engine hashes)"),
        ],
        create.ChunkWriter: [("finish", "wait for chunk writers")],
        repository.Repository: [
            ("put_chunk", "put_chunk (worker threads)"),
            ("get_chunk", "get_chunk"),
        ],
        keys.Codec: [("chunk_id", "BLAKE3 chunk id"), ("_tag", "BLAKE3 tag (unencrypted)")],
        storage.LocalStorage: [("read", "read chunk file")],
        storage: [
            ("_write_temp", "write + fsync chunk file"),
            ("_link_new", "link chunk file"),
            ("_fsync_folder", "fsync folder"),
        ],
        scratch.Scratch: [
            ("load", "scratch load (one statement)"),
            ("materialize", "scratch rebuild of a snapshot"),
            ("identity_counts", "scratch identities of previous snapshot"),
            ("close", "scratch close"),
        ],
        duckdb_engine: [("_write_duckdb", "DuckDB table write (total)")],
    }
    for target, names in wrapped.items():
        patches += [
            (target, name, probe.wrap(phase, getattr(target, name))) for name, phase in names
        ]
    originals = [(target, name, getattr(target, name)) for target, name, _ in patches]
    try:
        for target, name, value in patches:
            setattr(target, name, value)
        yield
    finally:
        for target, name, value in reversed(originals):
            setattr(target, name, value)


def profile_run(title: str, action: Callable[[], Any]) -> None:
    """Run ``action`` once with every phase timed, and print where time and memory went."""
    with Probe() as probe, instrumented(probe):
        probe.wrap("total (wall)", action)()
    probe.report(title, "total (wall)")


def cprofile_run(title: str, action: Callable[[], Any]) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    action()
    profiler.disable()
    print(f"\n{title}: cProfile, main thread, top 12 by own time")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


# What `steward backup` imports before it reads a row (the CLI, the backup service, the
# engine and the repository's crypto), for ``python -X importtime``.
BACKUP_IMPORTS = (
    "import datasteward.cli.main, datasteward.cli.backup_commands, "
    "datasteward.services.backup.create, datasteward.repository, datasteward.store, "
    "duckdb, pyarrow"
)


def print_import_time(project: Project) -> None:
    """Start-up cost: the imports of a backup taking 20 ms or more, two levels deep."""
    command = [sys.executable, "-X", "importtime", "-c", BACKUP_IMPORTS]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=project.env)
    print("\nimports of a backup taking >= 20 ms (cumulative, python -X importtime):")
    # Children are printed before their parent: reverse to read it as a tree.
    for line in reversed(done.stderr.splitlines()):
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        depth = (len(parts[2]) - len(parts[2].lstrip()) - 1) // 2
        micros = int(parts[1])
        if depth <= 2 and micros >= 20_000:
            print(f"  {'  ' * depth + parts[2].strip():<44}{micros / 1e6:>6.2f} s")


PROFILE_STEPS = {  # step: (title, sources it applies to)
    "backup": ("full backup, unencrypted", SOURCES),
    "backup-encrypted": ("full backup, encrypted", SOURCES),
    "backup-cprofile": ("full backup, unencrypted", SOURCES),
    "restore-file": ("restore --to restored.parquet (full snapshot)", SOURCES),
    "restore-table": ("restore --to-table orders_restored (full snapshot)", ("duckdb",)),
    "delta": ("delta backup after 1% updates + 1% inserts", SOURCES),
    "restore-delta": ("restore --to restored.parquet (delta snapshot)", SOURCES),
}


def run_profile_step(step: str, project: Project) -> None:
    """One profiled step, in a process of its own so that its peak RSS is its own."""
    from datasteward.config import load_project
    from datasteward.services.backup import open_repository, restore_snapshot
    from datasteward.services.backup.catalog import latest
    from datasteward.services.backup.create import backup_dataset

    encrypted = step == "backup-encrypted"
    os.environ[PASSPHRASE_ENV] = project.env[PASSPHRASE_ENV]
    config = load_project(project.config(encrypted))
    title = f"{PROFILE_STEPS[step][0]}, {project.source} source, {project.data.rows:,} rows"
    if step.startswith("backup"):
        remover(project.encrypted_repository if encrypted else project.plain_repository)()
        run = cprofile_run if step == "backup-cprofile" else profile_run
        run(title, lambda: backup_dataset(config, "orders", force_full=True))
    elif step == "delta":
        profile_run(title, lambda: backup_dataset(config, "orders"))
    else:
        manifest = latest(open_repository(config, create=False), "orders")
        assert manifest is not None
        if step == "restore-table":
            target = {"to_table": "orders_restored"}
        else:
            remover(project.restored_parquet)()
            target = {"to_path": project.restored_parquet}
        profile_run(title, lambda: restore_snapshot(config, manifest, **target))  # type: ignore[arg-type]


def tiny_project(project: Project) -> Path:
    """A project whose dataset has 1,000 rows: its backup shows the fixed start-up cost."""
    import duckdb

    folder = project.workdir / "tiny"
    folder.mkdir()
    with duckdb.connect(str(folder / "tiny.duckdb")) as con:
        con.execute("CREATE TABLE orders AS SELECT range AS order_id FROM range(1000)")
    config = folder / "steward.yml"
    config.write_text(
        textwrap.dedent(f"""\
            version: 1
            store: {json.dumps(f"sqlite:///{folder / 'steward.db'}")}
            backups: {{repository: {json.dumps(str(folder / "repository"))}}}
            sources:
              data: {{type: duckdb, path: {json.dumps(str(folder / "tiny.duckdb"))}}}
            datasets:
              orders: {{source: data, table: orders, key: [order_id]}}
            """),
        encoding="utf-8",
    )
    return config


def bench_profile(source: str, data: Data) -> None:
    """Every profiled step, then start-up costs and the whole processes for comparison."""
    with tempfile.TemporaryDirectory(prefix="steward-backup-profile-") as tmp:
        project = make_project(source, data, Path(tmp))
        for step, (_, sources) in PROFILE_STEPS.items():
            if source not in sources:
                continue
            if step == "delta":
                apply_change(project)
            command = [sys.executable, __file__, "--rows", str(data.rows), "--source", source]
            command += ["--profile-step", step, "--profile-project", str(project.workdir)]
            sys.stdout.flush()
            subprocess.run(command, check=True, env=project.env)
            if step == "restore-table":
                drop_table(project.database, "orders_restored")
        print_import_time(project)
        remover(project.plain_repository)()
        steward = [steward_command(), "backup", "orders", "--full", "--format", "json"]
        whole = measure([*steward, "-c", str(project.config(False))], project.workdir, project.env)
        copy = measure([sys.executable, "baseline.py"], project.workdir, project.env)
        tiny_config = tiny_project(project)
        tiny = [*steward, "-c", str(tiny_config)]
        measure(tiny, project.workdir, project.env)  # creates the store: not counted
        remover(tiny_config.parent / "repository")()
        tiny_sample = measure(tiny, project.workdir, project.env)
        print("\nwhole processes, for comparison (the data is the changed data by now):")
        samples = [("steward backup --full", whole), ("DuckDB COPY", copy)]
        samples += [("steward backup, 1,000 rows", tiny_sample)]  # a backup's fixed cost
        for name, sample in samples:
            print(f"  {name:<28}{sample.seconds:>6.2f} s wall{sample.cpu_seconds:>6.2f} s CPU"
                  f"{mb(sample.peak_bytes):>9} peak RSS")  # fmt: skip


# -- reporting -------------------------------------------------------------------------------


def mb(size: float) -> str:
    return f"{size / 10**6:,.0f} MB"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def memory_met(contender: Contender) -> bool:
    return contender.max_peak_bytes < MEMORY_TARGET_BYTES


def print_result(result: SourceResult, rounds: int) -> None:
    print(f"\n{result.label} source, {result.rows:,} orders, median of {rounds} rounds")
    print(f"  {'':<32}{'wall time':>11}{'CPU time':>11}{'peak RSS':>11}")
    contenders = [result.copy, result.floor, result.backup, result.encrypted, result.restore_file]
    contenders += [result.restore_table, result.table_copy] if result.restore_table else []
    contenders += [result.delta, result.delta_restore]
    for c in contenders:
        assert c is not None
        print(f"  {c.name:<32}{c.seconds:>9.2f} s{c.cpu_seconds:>9.2f} s{mb(c.peak_bytes):>11}")
    print(f"  {'backup / COPY':<40}{result.time_ratio:.2f}x  (target <= {TIME_TARGET}x: "
          f"{verdict(result.time_ratio <= TIME_TARGET)})")  # fmt: skip
    print(f"  {'encrypted backup / COPY':<40}{result.encrypted_ratio:.2f}x  (target <= "
          f"{TIME_TARGET}x: {verdict(result.encrypted_ratio <= TIME_TARGET)})")  # fmt: skip
    cpu_ratio = result.backup.cpu_seconds / result.copy.cpu_seconds
    print(f"  {'backup / COPY, CPU time':<40}{cpu_ratio:.2f}x  (less sensitive to other work)")
    floor_ratio = result.floor.seconds / result.copy.seconds
    print(f"  {'stack floor / COPY':<40}{floor_ratio:.2f}x  (the COPY in a process that also "
          "imports what DESIGN.md has Steward use)")  # fmt: skip
    if result.table_copy is not None:
        ratio = result.restore_ratio(result.table_copy)
        print(f"  {'DuckDB table copy / backup':<40}{ratio:.2f}x  (DuckDB alone writing the rows "
              "as a new table: a floor under restore --to-table)")  # fmt: skip
    for c in (result.backup, result.encrypted, result.delta):
        print(f"  {c.name + ' peak RSS':<40}{mb(c.max_peak_bytes)} at most  (target < "
              f"{mb(MEMORY_TARGET_BYTES)}: {verdict(memory_met(c))})")  # fmt: skip
    for restore in (result.restore_file, result.restore_table):
        if restore is not None:
            ratio = result.restore_ratio(restore)
            print(f"  {restore.name.removeprefix('steward ') + ' / backup':<40}{ratio:.2f}x  "
                  f"(target <= {RESTORE_TARGET}x: {verdict(ratio <= RESTORE_TARGET)})")  # fmt: skip
    print(f"  {'delta stored / full stored':<40}{result.delta_ratio:.2%}  ({result.delta_stored:,} of "
          f"{result.full_stored:,} bytes; target <= {DELTA_TARGET:.0%}: "
          f"{verdict(result.delta_ratio <= DELTA_TARGET)})")  # fmt: skip
    print(f"  full snapshot: {result.full_logical:,} logical bytes, stored "
          f"{result.full_stored / result.full_logical:.1%} of that")  # fmt: skip
    for c in contenders:
        assert c is not None
        runs = ", ".join(f"{s.seconds:.2f}" for s in c.samples)
        peaks = ", ".join(f"{s.peak_bytes / 10**6:.0f}" for s in c.samples)
        print(f"  {c.name}: {runs} s; {peaks} MB")
    shares = ", ".join(f"{x:.0%}" for x in result.others_cpu)
    print(f"  CPU used by other processes during the rounds: {shares}")
    if max(result.others_cpu) > NOISY_SHARE:
        print("  (other work was running on the machine: the timings are noisy)")
    if result.mismatches:
        print("\n  !!! RESTORED DATA DIFFERS FROM THE SOURCE !!!")
        for line in result.mismatches:
            print(f"  !!! {line}")
    else:
        print("  every restore gave back exactly the source's rows (count and hash sum)")


def machine() -> str:
    """nproc, CPU model and RAM, as far as /proc tells."""
    cpu, memory = platform.processor() or "unknown CPU", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 2**20:.0f} GiB RAM"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}){memory}, {platform.system()} {platform.release()}"


def software() -> str:
    from importlib.metadata import version

    packages = ("duckdb", "pyarrow", "zstandard", "blake3", "cryptography")
    return f"Python {platform.python_version()}, " + ", ".join(
        f"{name} {version(name)}" for name in packages
    )


def markdown(results: list[SourceResult], rounds: int) -> str:
    lines = [
        f"- Date: {datetime.now(UTC):%Y-%m-%d}",
        f"- Machine: {machine()}",
        f"- Software: {software()}",
        f"- Command: `python bench/{Path(__file__).name} {shlex.join(sys.argv[1:])}`",
        f"- Medians of {rounds} rounds; peak RSS is the largest of the rounds.",
        "",
        "| Source | Rows | DuckDB COPY | `steward backup` | Ratio | Peak RSS "
        "| Encrypted | Ratio | Peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {r.rows:,} | {r.copy.seconds:.2f} s | {r.backup.seconds:.2f} s "
            f"| {r.time_ratio:.2f}x ({verdict(r.time_ratio <= TIME_TARGET)}) "
            f"| {mb(r.backup.max_peak_bytes)} ({verdict(memory_met(r.backup))}) "
            f"| {r.encrypted.seconds:.2f} s "
            f"| {r.encrypted_ratio:.2f}x ({verdict(r.encrypted_ratio <= TIME_TARGET)}) "
            f"| {mb(r.encrypted.max_peak_bytes)} ({verdict(memory_met(r.encrypted))}) |"
        )
    lines += [
        "",
        "| Source | Restore `--to x.parquet` | Ratio to backup | Restore `--to-table` "
        "| Ratio to backup | Delta backup | Delta peak RSS | Delta stored / full stored |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        table = "n/a | n/a"
        if r.restore_table is not None:
            ratio = r.restore_ratio(r.restore_table)
            table = (
                f"{r.restore_table.seconds:.2f} s | {ratio:.2f}x "
                f"({verdict(ratio <= RESTORE_TARGET)})"
            )
        ratio = r.restore_ratio(r.restore_file)
        lines.append(
            f"| {r.label} | {r.restore_file.seconds:.2f} s | {ratio:.2f}x "
            f"({verdict(ratio <= RESTORE_TARGET)}) | {table} | {r.delta.seconds:.2f} s "
            f"| {mb(r.delta.max_peak_bytes)} | {r.delta_ratio:.2%} "
            f"({r.delta_stored / 10**6:.1f} of {r.full_stored / 10**6:.1f} MB; "
            f"{verdict(r.delta_ratio <= DELTA_TARGET)}) |"
        )
    lines.append("")
    for r in results:
        line = (
            f"Floors ({r.label}): the COPY in a process that also imports DESIGN.md's stack "
            f"(sqlglot, pydantic, ruamel.yaml, typer, pyarrow) {r.floor.seconds:.2f} s, "
            f"{r.floor.seconds / r.copy.seconds:.2f}x the COPY"
        )
        if r.table_copy is not None:
            line += (
                f"; DuckDB alone copying the table inside its file {r.table_copy.seconds:.2f} s, "
                f"{r.restore_ratio(r.table_copy):.2f}x the backup"
            )
        lines.append(line + ".")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=5_000_000,
                        help="orders to generate (default 5,000,000)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--source", choices=(*SOURCES, "both"), default="both",
                        help="the Parquet file, the DuckDB file, or both (default)")  # fmt: skip
    parser.add_argument("--quiet-wait", type=float, default=120, metavar="SECONDS",
                        help="before each round, wait up to this long for other processes to "
                        "leave the CPUs idle (default 120; 0: do not wait)")  # fmt: skip
    parser.add_argument("--markdown", action="store_true",
                        help="also print the results as markdown for docs/benchmarks.md")  # fmt: skip
    parser.add_argument("--profile", action="store_true",
                        help="instead, time the phases of one backup in this process")  # fmt: skip
    parser.add_argument("--profile-step", choices=PROFILE_STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--profile-project", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    byte_compile_steward()  # as an installed copy has it
    if args.rows < 1_000 or args.repeat < 1:
        parser.error("--rows must be at least 1000 and --repeat at least 1")
    sources = SOURCES if args.source == "both" else (args.source,)
    data = generate(args.rows)
    if args.profile_step:  # one step of --profile, in a process of its own
        env = {**os.environ, PASSPHRASE_ENV: "bench passphrase"}
        run_profile_step(args.profile_step, Project(sources[0], data, args.profile_project, env))
        return 0
    if args.profile:
        for source in sources:
            bench_profile(source, data)
        return 0
    results = []
    for source in sources:
        results.append(bench_source(source, data, args.repeat, args.quiet_wait))
        print_result(results[-1], args.repeat)
    if args.markdown:
        print("\n" + markdown(results, args.repeat))
    return 1 if any(r.mismatches for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
