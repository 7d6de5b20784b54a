"""Benchmark: ``steward profile`` against ydata-profiling (minimal mode) on the same data.

Usage (from the repository root, with the project's virtualenv)::

    python bench/profile_bench.py                                  # 5,000,000 rows
    python bench/profile_bench.py --ydata-python /tmp/venv-ydata/bin/python --repeat 2
    python bench/profile_bench.py --rows 500000 --markdown

What is measured (DESIGN.md principle 7: measured, not assumed):

* A 12-column orders table (integers, doubles with missing values, low-cardinality
  categories, free-ish text, e-mail addresses, two timestamps) is generated with DuckDB
  SQL, deterministically, as one Parquet file cached under ``bench/.data/``.
* Steward: the whole ``steward profile orders --format json`` process over a project whose
  files source is that Parquet file (start-up, imports, configuration, every query).
* ydata-profiling: a whole ``python`` process that reads the same file with pandas
  (``read_parquet``) and runs ``ProfileReport(df, minimal=True).get_description()``, the
  statistics without rendering a report. ydata-profiling pins older pandas and numpy than
  Steward uses, so it may live in another virtualenv: ``--ydata-python`` names its python.
* The two alternate for ``--repeat`` rounds (the order flips every round). Each child runs
  under a tiny launcher that reads its wall time and peak RSS from ``os.wait4``.
* Row count, missing and distinct counts and means of both are compared: a mismatch is
  printed loudly and makes the exit code 1, so both provably profiled the same data.

Targets: Steward at least 10x faster than ydata-profiling, with at most a quarter of its
peak memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from child_process import Sample, byte_compile_steward, measure

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / ".data"
GENERATOR_VERSION = 1  # bump when the generated data changes, so caches are rebuilt
TIME_TARGET = 10.0  # ydata seconds / steward seconds, at least
MEMORY_TARGET = 4.0  # ydata peak / steward peak, at least

GENERATOR = """
COPY (
SELECT
  i AS order_id,
  (hash(i) % 200000)::BIGINT AS customer_id,
  CASE WHEN i % 97 = 0 THEN NULL
       ELSE round(10 + (hash(i * 3) % 100000) / 100.0 + ((hash(i * 5) % 1000) / 10.0) ^ 1.5, 2)
  END AS amount,
  (1 + hash(i * 7) % 9)::INTEGER AS quantity,
  CASE WHEN i % 3 = 0 THEN (hash(i * 11) % 50) / 100.0 END AS discount,
  ['new', 'paid', 'shipped', 'cancelled', 'returned'][1 + (hash(i * 13) % 5)::BIGINT] AS status,
  ['US', 'DE', 'FR', 'GB', 'NL', 'SE', 'ES', 'IT', 'PL', 'CA', 'BR', 'JP', 'IN', 'AU', 'MX',
   'CH', 'AT', 'BE', 'DK', 'NO'][1 + (hash(i * 17) % 20)::BIGINT] AS country,
  'cat_' || (hash(i * 19) % 40)::VARCHAR AS category,
  'user' || (hash(i * 23) % 1000000)::VARCHAR || '@'
    || ['example.com', 'mail.org', 'shop.net'][1 + (hash(i * 29) % 3)::BIGINT] AS email,
  CASE WHEN i % 5 = 0 THEN NULL
       ELSE ['Leave at door', 'Call first', 'Gift wrap please', 'ASAP', 'Fragile! 2 boxes',
             'Ring 3x'][1 + (hash(i * 31) % 6)::BIGINT]
  END AS note,
  TIMESTAMP '2025-01-01' + to_microseconds((i * 6311)::BIGINT % (365 * 86400) * 1000000)
    AS created_at,
  CASE WHEN i % 4 = 0 THEN NULL
       ELSE TIMESTAMP '2025-01-01' + to_microseconds(((i * 6311)::BIGINT % (365 * 86400)
            + (hash(i * 37) % (7 * 86400))::BIGINT) * 1000000)
  END AS shipped_at
FROM range({rows}) t(i)
) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
"""

YDATA = """\
import json, sys, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from ydata_profiling import ProfileReport
frame = pd.read_parquet(sys.argv[1])
description = ProfileReport(frame, minimal=True, progress_bar=False).get_description()
out = {"row_count": int(description.table["n"]), "columns": {}}
for name, stats in description.variables.items():
    mean = stats.get("mean")
    out["columns"][name] = {
        "missing_count": int(stats["n_missing"]),
        "distinct_count": int(stats["n_distinct"]),
        "mean": None if mean is None else float(mean),
    }
print(json.dumps(out))
"""


@dataclass
class Contender:
    name: str
    argv: list[str]
    samples: list[Sample] = field(default_factory=list)

    def run(self, cwd: Path) -> Sample:
        sample = measure(self.argv, cwd)
        if sample.exit_code != 0:
            sys.exit(f"{self.name} exited {sample.exit_code}:\n{sample.stderr[-3000:]}")
        self.samples.append(sample)
        return sample

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)

    @property
    def peak_bytes(self) -> float:
        return statistics.median(s.peak_bytes for s in self.samples)


def generate(rows: int) -> Path:
    """The cached Parquet file of ``rows`` generated orders."""
    import duckdb

    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / f"profile-orders-{rows}-v{GENERATOR_VERSION}.parquet"
    if not path.exists():
        temp = path.with_suffix(".tmp")
        with duckdb.connect() as connection:
            connection.execute("SET enable_progress_bar = false")
            connection.execute(GENERATOR.format(rows=rows, path=temp))
        temp.rename(path)
    return path


def write_project(folder: Path, data: Path) -> None:
    (folder / "steward.yml").write_text(
        "version: 1\n"
        f"store: sqlite:///{folder / 'store.db'}\n"
        f"sources:\n  lake: {{type: files, root: {data.parent}}}\n"
        f"datasets:\n  orders: {{source: lake, path: {data.name}}}\n",
        encoding="utf-8",
    )


def compare(steward: dict[str, Any], ydata: dict[str, Any]) -> list[str]:
    """Differences between what both tools found (empty: they agree)."""
    problems = []
    if steward["row_count"] != ydata["row_count"]:
        problems.append(f"row_count: steward {steward['row_count']}, ydata {ydata['row_count']}")
    for column in steward["columns"]:
        theirs = ydata["columns"][column["name"]]
        for key in ("missing_count", "distinct_count"):
            if column[key] != theirs[key]:
                problems.append(f"{column['name']}.{key}: {column[key]} vs {theirs[key]}")
        means = (column["mean"], theirs["mean"])
        if None not in means and not math.isclose(*means, rel_tol=1e-9):
            problems.append(f"{column['name']}.mean: {column['mean']} vs {theirs['mean']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="measured rounds per contender")
    parser.add_argument(
        "--ydata-python", default=sys.executable, help="a python with ydata-profiling installed"
    )
    parser.add_argument("--markdown", action="store_true", help="print a table for the docs")
    args = parser.parse_args()
    byte_compile_steward()  # as an installed copy has it

    data = generate(args.rows)
    steward_script = Path(sys.executable).with_name("steward")
    steward_bin = str(steward_script) if steward_script.exists() else shutil.which("steward")
    if steward_bin is None:
        sys.exit("steward is installed neither next to this python nor on PATH")
    with tempfile.TemporaryDirectory(prefix="profile-bench-") as temp:
        folder = Path(temp)
        write_project(folder, data)
        (folder / "ydata_profile.py").write_text(YDATA, encoding="utf-8")
        steward = Contender("steward", [steward_bin, "profile", "orders", "--format", "json"])
        ydata = Contender("ydata-profiling", [args.ydata_python, "ydata_profile.py", str(data)])
        loads = []
        for round_number in range(args.repeat):
            order = [steward, ydata] if round_number % 2 == 0 else [ydata, steward]
            for contender in order:
                loads.append(os.getloadavg()[0])
                sample = contender.run(folder)
                print(
                    f"{contender.name}: {sample.seconds:.2f}s wall, {sample.cpu_seconds:.2f}s CPU, "
                    f"peak {sample.peak_bytes / 2**20:,.0f} MiB",
                    flush=True,
                )
        problems = compare(
            json.loads(steward.samples[-1].stdout), json.loads(ydata.samples[-1].stdout)
        )
    speedup = ydata.seconds / steward.seconds
    memory = ydata.peak_bytes / steward.peak_bytes
    print(
        f"\n{args.rows:,} rows x 12 columns; median of {args.repeat}: steward {steward.seconds:.2f}s, "
        f"peak {steward.peak_bytes / 2**20:,.0f} MiB; ydata-profiling {ydata.seconds:.2f}s, "
        f"peak {ydata.peak_bytes / 2**20:,.0f} MiB"
    )
    print(
        f"speed-up {speedup:.1f}x (target >= {TIME_TARGET:g}x); "
        f"memory {memory:.1f}x less (target >= {MEMORY_TARGET:g}x); "
        f"load average {statistics.mean(loads):.1f} on {os.cpu_count()} CPUs"
    )
    if args.markdown:
        print(markdown(args.rows, steward, ydata, statistics.mean(loads)))
    for problem in problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    missed = speedup < TIME_TARGET or memory < MEMORY_TARGET
    return 1 if problems or missed else 0


def markdown(rows: int, steward: Contender, ydata: Contender, load: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        f"Measured {when} on {platform.machine()} with {os.cpu_count()} CPUs, "
        f"load average {load:.1f}; {rows:,} rows x 12 columns, median of "
        f"{len(steward.samples)} run(s), whole processes.",
        "",
        "| | wall time | CPU time | peak memory |",
        "|---|---:|---:|---:|",
    ]
    for contender in (steward, ydata):
        lines.append(
            f"| {contender.name} | {contender.seconds:.1f} s | {contender.cpu_seconds:.1f} s "
            f"| {contender.peak_bytes / 2**20:,.0f} MiB |"
        )
    lines.append(
        f"| ratio | {ydata.seconds / steward.seconds:.1f}x faster | "
        f"{ydata.cpu_seconds / steward.cpu_seconds:.1f}x less | "
        f"{ydata.peak_bytes / steward.peak_bytes:.1f}x less |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
