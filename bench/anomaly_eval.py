"""Benchmark: how well ``anomaly`` checks find incidents, through real scans.

Usage (from the repository root, with the project's virtualenv)::

    python bench/anomaly_eval.py                        # 30 datasets x 120 days
    python bench/anomaly_eval.py --datasets 6 --days 60 --seed 3 --markdown

What is measured (DESIGN.md principle 7: measured, not assumed):

* Every dataset gets a 120-day daily history of five metrics: row count, null rate of
  ``amount``, distinct count of ``customer_id``, mean of ``amount`` and the freshness lag
  of ``loaded_at``. Each history has its own level, trend, weekly season (none, weekend
  peak, weekend dip, midweek high) and noise (2, 5 or 10 % a day, Student-t tails), and a
  few holidays (row and customer counts down 30-60 %).
* Labelled incidents are injected after a four-week run-in, never two on adjacent days:
  row-count drop and spike, null-rate jump, distinct-count collapse, mean shift,
  freshness lag (one day each), and a gradual drift of the mean (a 14-day ramp, then
  back). Sizes are realistic relative changes (see ``_incident_change``), raised where
  needed to at least ``MIN_SIGMAS`` times the metric's daily noise so that every
  incident stands out on a chart; the report gives the median size in noise units.
* Each day is realised as one small Arrow table per dataset (a few hundred to a few
  thousand rows) whose row count, null count (binomial around a 0.5-5 % rate),
  distinct count, mean and newest timestamp are the day's values.
  The tables are registered in an in-memory DuckDB and the day is scanned with the real
  scan service at ``as_of`` = that day (``scan(project, as_of=…)``), which runs the five
  ``anomaly`` checks against the metric history in a SQLite store, records the run and
  flags failing points as incidents, exactly as ``steward scan --as-of`` does.
* The baseline is a plain z-score computed here from the same stored metric values:
  fail when a value is more than 3 standard deviations from the mean of the previous 28
  days (at least 7 of them), with no incident handling.
* An incident counts as detected when the check of its metric fails on its day (gradual
  drift: on any day of the ramp). False alarms are failing checks on clean days: days
  without an incident or holiday in that dataset, after the 7-day warm-up. Alarms on
  holidays are reported apart: a holiday is a real dip that a user would accept.

Targets: recall at least 0.9 on every abrupt kind and false alarms at most 1 % of clean
check-days; recall at least the z-score baseline's on every abrupt kind and fewer false
alarms. The exit code is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

FIRST_DAY = datetime(2026, 1, 5, 6, tzinfo=UTC)  # a Monday; the daily scan runs at 06:00
WARM_UP_DAYS = 7  # no verdicts before min_history points (default 7)
RUN_IN_DAYS = 28  # incidents start after four weeks of history
DRIFT_DAYS = 14
MIN_SIGMAS = 6.0
SMALL_SIGMAS = 8.0  # incidents below this size get their own recall column
ZSCORE_WINDOW = 28
ZSCORE_SIGMAS = 3.0
NOISE_LEVELS = (0.02, 0.05, 0.10)
SEASONS = {  # weekly multipliers of the row count, Monday first
    "none": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "weekend peak": (1.0, 0.98, 1.0, 1.02, 1.08, 1.45, 1.35),
    "weekend dip": (1.05, 1.0, 1.0, 1.02, 0.98, 0.55, 0.5),
    "midweek high": (0.9, 1.05, 1.12, 1.1, 1.0, 0.85, 0.8),
}

# (metric, column) of each anomaly check of a dataset.
Check = tuple[str, str | None]
CHECKS: tuple[Check, ...] = (
    ("row_count", None),
    ("missing_percent", "amount"),
    ("distinct_count", "customer_id"),
    ("mean", "amount"),
    ("freshness_lag_hours", "loaded_at"),
)
KIND_CHECK: dict[str, Check] = {
    "row-count drop": CHECKS[0],
    "row-count spike": CHECKS[0],
    "null-rate jump": CHECKS[1],
    "distinct-count collapse": CHECKS[2],
    "mean shift": CHECKS[3],
    "freshness lag": CHECKS[4],
    "gradual drift": CHECKS[3],
}
ABRUPT = [kind for kind in KIND_CHECK if kind != "gradual drift"]


# -- the generated histories ---------------------------------------------------------------


@dataclass
class Incident:
    kind: str
    first_day: int
    last_day: int
    sigmas: float  # size in units of the metric's daily noise


@dataclass
class History:
    """The planned daily values of one dataset (before realisation)."""

    name: str
    noise: float
    season: str
    rows: np.ndarray[Any, Any]
    null_rate: np.ndarray[Any, Any]
    distinct: np.ndarray[Any, Any]
    mean: np.ndarray[Any, Any]
    lag_hours: np.ndarray[Any, Any]
    incidents: list[Incident] = field(default_factory=list)
    holidays: set[int] = field(default_factory=set)

    def busy_days(self) -> set[int]:
        days = set(self.holidays)
        for incident in self.incidents:
            days.update(range(incident.first_day, incident.last_day + 1))
        return days


def _noise(rng: np.random.Generator, size: int) -> np.ndarray[Any, Any]:
    """Unit-variance noise with moderately heavy tails (Student t, 8 degrees of freedom)."""
    return np.asarray(rng.standard_t(8, size) / np.sqrt(8 / 6), dtype=float)


def generate(index: int, days: int, seed: int) -> History:
    rng = np.random.default_rng([seed, index])
    noise = NOISE_LEVELS[index % len(NOISE_LEVELS)]
    season_name = list(SEASONS)[(index // len(NOISE_LEVELS)) % len(SEASONS)]
    weekdays = np.array([(FIRST_DAY + timedelta(days=d)).weekday() for d in range(days)])
    t = np.arange(days)
    season = np.array(SEASONS[season_name])[weekdays]
    trend = 1 + rng.uniform(-0.002, 0.004) * t
    level = rng.uniform(500, 2500) * season * trend
    rows = level * (1 + noise * _noise(rng, days))
    distinct = rng.uniform(0.2, 0.6) * level * (1 + noise * _noise(rng, days))
    null_rate = np.full(days, rng.uniform(0.005, 0.05))
    weekend_mean = 1 + (rng.uniform(0.02, 0.08) if rng.random() < 0.5 else 0.0) * (weekdays >= 5)
    mean = rng.uniform(20, 200) * weekend_mean * (1 + rng.uniform(-0.001, 0.001) * t)
    mean = mean * (1 + noise * _noise(rng, days))
    sunday_late = 1 + (0.3 if rng.random() < 0.5 else 0.0) * (weekdays == 6)
    lag_hours = rng.uniform(1, 6) * sunday_late * (1 + 2 * noise * _noise(rng, days))
    history = History(
        f"ds{index:02d}", noise, season_name, rows, null_rate, distinct, mean, lag_hours
    )
    _inject(history, rng, days)
    return history


def _inject(history: History, rng: np.random.Generator, days: int) -> None:
    repeats = 2 if days - RUN_IN_DAYS >= 80 else 1
    events = [kind for kind in ABRUPT for _ in range(repeats)] + ["holiday"] * repeats
    events = ["gradual drift"] + [events[i] for i in rng.permutation(len(events))]
    taken: set[int] = set()
    for event in events:  # the long drift first, so that it always finds room
        length = DRIFT_DAYS if event == "gradual drift" else 1
        for _attempt in range(200):
            first = int(rng.integers(RUN_IN_DAYS, days - length + 1)) if days > RUN_IN_DAYS else -1
            span = set(range(first - 1, first + length + 1))
            if first >= 0 and not span & taken:
                taken |= span
                _apply(history, rng, event, first, length)
                break


def _apply(history: History, rng: np.random.Generator, kind: str, first: int, length: int) -> None:
    if kind == "holiday":
        factor = rng.uniform(0.4, 0.7)
        history.rows[first] *= factor
        history.distinct[first] *= factor
        history.holidays.add(first)
        return
    series, sigma, change = _incident_change(history, rng, kind, first)
    size = max(abs(change), MIN_SIGMAS * sigma) * np.sign(change)
    if kind == "gradual drift":
        size = max(abs(change), (MIN_SIGMAS + 2) * sigma) * np.sign(change)
        ramp = np.linspace(size / length, size, length)
        series[first : first + length] *= 1 + ramp
    elif kind in ("null-rate jump", "freshness lag"):
        series[first] += size
    else:
        series[first] *= 1 + size
    sigmas = abs(size) / sigma
    history.incidents.append(Incident(kind, first, first + length - 1, float(sigmas)))


def _incident_change(
    history: History, rng: np.random.Generator, kind: str, day: int
) -> tuple[np.ndarray[Any, Any], float, float]:
    """The series an incident changes, its daily noise and the change (relative, or
    absolute for null rate and lag)."""
    noise = history.noise
    if kind == "row-count drop":
        return history.rows, noise, -rng.uniform(0.3, 0.9)
    if kind == "row-count spike":
        return history.rows, noise, rng.uniform(0.5, 2.0)
    if kind == "null-rate jump":
        rate, rows = history.null_rate[day], history.rows[day]
        return history.null_rate, float(np.sqrt(rate * (1 - rate) / rows)), rng.uniform(0.03, 0.25)
    if kind == "distinct-count collapse":
        return history.distinct, noise + 0.02, -rng.uniform(0.5, 0.95)  # + HLL error
    if kind in ("mean shift", "gradual drift"):
        return history.mean, noise, rng.choice([-1, 1]) * rng.uniform(0.15, 0.5)
    assert kind == "freshness lag"
    base = float(np.median(history.lag_hours))
    return history.lag_hours, 2 * noise * base, rng.uniform(12, 48)


# -- one day's data ------------------------------------------------------------------------


def realise(history: History, day: int, as_of: datetime, rng: np.random.Generator) -> pa.Table:
    """A table whose row count, nulls, distinct ids, mean and newest time are the day's."""
    rows = max(round(float(history.rows[day])), 10)
    nulls = min(int(rng.binomial(rows, min(history.null_rate[day], 1.0))), rows - 1)
    distinct = int(np.clip(round(history.distinct[day]), 1, rows))
    ids = np.concatenate([np.arange(distinct), rng.integers(0, distinct, rows - distinct)])
    amounts = rng.gamma(2.0, 1.0, rows - nulls)
    amounts *= history.mean[day] / amounts.mean()
    amount = np.full(rows, np.nan)
    present = rng.permutation(rows)[: rows - nulls]
    amount[present] = amounts
    newest = as_of - timedelta(hours=float(history.lag_hours[day]))
    newest_us = int(newest.timestamp() * 1_000_000)
    loaded = newest_us - rng.integers(0, 20 * 3600 * 1_000_000, rows)
    loaded[rng.integers(0, rows)] = newest_us
    return pa.table(
        {
            "customer_id": pa.array(rng.permutation(ids) + 10_000, pa.int64()),
            "amount": pa.array(amount, pa.float64(), from_pandas=True),
            "loaded_at": pa.array(loaded, pa.timestamp("us", tz="UTC")),
        }
    )


# -- scanning ------------------------------------------------------------------------------

Verdicts = dict[tuple[str, Check], dict[int, bool]]  # (dataset, check) -> day -> failed


def project_text(histories: list[History], store: Path) -> str:
    lines = [f"store: sqlite:///{store}", "sources: {mem: {type: duckdb, path: unused.duckdb}}"]
    lines.append("datasets:")
    for history in histories:
        lines += [f"  {history.name}:", "    source: mem", f"    table: {history.name}"]
        lines.append("    checks:")
        for metric, column in CHECKS:
            where = f", column: {column}" if column else ""
            lines.append(f"      - anomaly: {{metric: {metric}{where}}}")
    return "\n".join(lines) + "\n"


def run_scans(
    histories: list[History], days: int, folder: Path, seed: int
) -> tuple[Verdicts, float]:
    from datasteward.config import parse_project
    from datasteward.engines.dataframe import DataFrameEngine
    from datasteward.services.scan import scan
    from datasteward.services.sources import SourcePool

    project = parse_project(project_text(histories, folder / "steward.db"), base_dir=folder)
    rng = np.random.default_rng([seed, 10_000])
    verdicts: Verdicts = defaultdict(dict)
    scan_seconds = 0.0
    for day in range(days):
        as_of = FIRST_DAY + timedelta(days=day)
        frames = {h.name: realise(h, day, as_of, rng) for h in histories}
        clock = time.perf_counter()
        with SourcePool(project, engines={"mem": DataFrameEngine(frames)}) as pool:
            run = scan(project, as_of=as_of, pool=pool)
        scan_seconds += time.perf_counter() - clock
        for dataset in run.datasets:
            for check in dataset.checks:
                if check.status.value in ("pass", "fail"):
                    metric = check.observed["metric"] if isinstance(check.observed, dict) else ""
                    failed = check.status.value == "fail"
                    verdicts[(dataset.dataset, (str(metric), check.column))][day] = failed
        if day % 10 == 9:
            print(f"  day {day + 1}/{days} scanned", file=sys.stderr, flush=True)
    return verdicts, scan_seconds


def zscore_verdicts(histories: list[History], days: int, store_url: str) -> Verdicts:
    """The plain baseline, from the values the scans stored."""
    from datasteward.store import Store

    verdicts: Verdicts = defaultdict(dict)
    with Store.open(store_url) as store:
        for history in histories:
            for metric, column in CHECKS:
                rows = store.metric_history(history.name, metric, column, limit=10 * days)
                by_day = {
                    (row.as_of - FIRST_DAY).days: row.value
                    for row in rows
                    if row.value is not None and row.column == column
                }
                for day, value in by_day.items():
                    window = [by_day[d] for d in range(day - ZSCORE_WINDOW, day) if d in by_day]
                    if len(window) < WARM_UP_DAYS:
                        continue
                    mean, std = float(np.mean(window)), float(np.std(window))
                    failed = abs(value - mean) > ZSCORE_SIGMAS * std
                    verdicts[(history.name, (metric, column))][day] = failed
    return verdicts


# -- scoring -------------------------------------------------------------------------------


@dataclass
class Score:
    detected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    small_detected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    small_total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    clean_fails: int = 0
    clean_checks: int = 0
    clean_days_alarmed: int = 0
    clean_days: int = 0
    holiday_fails: int = 0
    holiday_checks: int = 0

    def recall(self, kind: str) -> float:
        return self.detected[kind] / self.total[kind] if self.total[kind] else float("nan")

    @property
    def false_alarm_rate(self) -> float:
        return self.clean_fails / self.clean_checks if self.clean_checks else float("nan")


def score(histories: list[History], days: int, verdicts: Verdicts) -> Score:
    result = Score()
    for history in histories:
        for incident in history.incidents:
            check = KIND_CHECK[incident.kind]
            window = range(incident.first_day, incident.last_day + 1)
            found = any(verdicts[(history.name, check)].get(day, False) for day in window)
            result.total[incident.kind] += 1
            result.detected[incident.kind] += found
            if incident.sigmas < SMALL_SIGMAS:
                result.small_total[incident.kind] += 1
                result.small_detected[incident.kind] += found
        busy = history.busy_days()
        for day in range(WARM_UP_DAYS, days):
            failed = [verdicts[(history.name, check)].get(day, False) for check in CHECKS]
            if day in history.holidays:
                result.holiday_fails += sum(failed)
                result.holiday_checks += len(failed)
            elif day not in busy:
                result.clean_fails += sum(failed)
                result.clean_checks += len(failed)
                result.clean_days_alarmed += any(failed)
                result.clean_days += 1
    return result


def false_alarms_by_check(
    histories: list[History], days: int, verdicts: Verdicts
) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    for history in histories:
        busy = history.busy_days()
        for check in CHECKS:
            for day in range(WARM_UP_DAYS, days):
                if day not in busy and verdicts[(history.name, check)].get(day, False):
                    found[_label(check)] += 1
    return found


def _label(check: Check) -> str:
    return check[0] if check[1] is None else f"{check[0]}({check[1]})"


# -- report --------------------------------------------------------------------------------


def table_rows(histories: list[History], steward: Score, zscore: Score) -> list[list[str]]:
    rows = []
    for kind in KIND_CHECK:
        sizes = [i.sigmas for h in histories for i in h.incidents if i.kind == kind]
        target = "≥ 0.9" if kind in ABRUPT else "—"
        rows.append(
            [
                kind,
                str(steward.total[kind]),
                f"{statistics.median(sizes):.0f} sd" if sizes else "—",
                _fraction(steward.recall(kind)),
                _small(steward, kind),
                _fraction(zscore.recall(kind)),
                target,
            ]
        )
    rows.append(
        [
            "false alarms, clean check-days",
            str(steward.clean_checks),
            "",
            _percent(steward.false_alarm_rate),
            "",
            _percent(zscore.false_alarm_rate),
            "≤ 1 %",
        ]
    )
    rows.append(
        [
            "clean dataset-days with any alarm",
            str(steward.clean_days),
            "",
            _percent(steward.clean_days_alarmed / max(steward.clean_days, 1)),
            "",
            _percent(zscore.clean_days_alarmed / max(zscore.clean_days, 1)),
            "",
        ]
    )
    rows.append(
        [
            "alarms on holiday check-days",
            str(steward.holiday_checks),
            "",
            _percent(steward.holiday_fails / max(steward.holiday_checks, 1)),
            "",
            _percent(zscore.holiday_fails / max(zscore.holiday_checks, 1)),
            "",
        ]
    )
    return rows


HEADER = [
    "incident kind",
    "count",
    "median size (noise sd)",
    "steward recall",
    "steward, incidents < 8 sd",
    "z-score recall",
    "target",
]


def _small(result: Score, kind: str) -> str:
    total = result.small_total[kind]
    return f"{result.small_detected[kind] / total:.2f} of {total}" if total else "—"


def _fraction(value: float) -> str:
    return "—" if value != value else f"{value:.3f}"


def _percent(value: float) -> str:
    return "—" if value != value else f"{100 * value:.2f} %"


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(HEADER, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def markdown(rows: list[list[str]], args: argparse.Namespace, seconds: float, scans: int) -> str:
    lines = [
        "## Anomaly detection",
        "",
        f"`python bench/anomaly_eval.py --datasets {args.datasets} --days {args.days} "
        f"--seed {args.seed}` on {platform.machine()} / Python {platform.python_version()}: "
        f"{scans:,} dataset scans through `scan(project, as_of=…)` with a SQLite store "
        f"({1000 * seconds / max(scans, 1):.0f} ms per dataset scan, five anomaly checks "
        "each). Baseline: mean ± 3 standard deviations of the previous 28 stored values.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=30)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument("--details", action="store_true", help="list every missed incident")
    args = parser.parse_args(argv)
    histories = [generate(i, args.days, args.seed) for i in range(args.datasets)]
    with tempfile.TemporaryDirectory(prefix="steward-anomaly-") as tmp:
        folder = Path(tmp)
        verdicts, seconds = run_scans(histories, args.days, folder, args.seed)
        baseline = zscore_verdicts(histories, args.days, f"sqlite:///{folder / 'steward.db'}")
    steward, zscore = score(histories, args.days, verdicts), score(histories, args.days, baseline)
    rows = table_rows(histories, steward, zscore)
    print(text_table(rows))
    print(
        "\nfalse alarms by check (steward):",
        dict(false_alarms_by_check(histories, args.days, verdicts)),
    )
    print(
        "false alarms by check (z-score):",
        dict(false_alarms_by_check(histories, args.days, baseline)),
    )
    if args.details:
        _print_misses(histories, verdicts)
    scans = args.datasets * args.days
    print(f"\n{scans} dataset scans in {seconds:.1f} s ({1000 * seconds / scans:.0f} ms each)")
    if args.markdown:
        print("\n" + markdown(rows, args, seconds, scans))
    met = all(steward.recall(k) >= 0.9 and steward.recall(k) >= zscore.recall(k) for k in ABRUPT)
    met = met and steward.false_alarm_rate <= 0.01
    met = met and steward.false_alarm_rate < zscore.false_alarm_rate
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


def _print_misses(histories: list[History], verdicts: Verdicts) -> None:
    for history in histories:
        for incident in history.incidents:
            check = KIND_CHECK[incident.kind]
            window = range(incident.first_day, incident.last_day + 1)
            if not any(verdicts[(history.name, check)].get(day, False) for day in window):
                print(
                    f"missed {history.name} ({history.season}, noise {history.noise}): "
                    f"{incident.kind} day {incident.first_day}, {incident.sigmas:.1f} noise sd"
                )


if __name__ == "__main__":
    sys.exit(main())
