"""A shop with three weeks of history: daily scans, an outage, a schema change, backups.

Built once per session from the example project (``steward init``): each day the orders
file holds the orders created up to that day, so row counts grow the way a real table
does; one day loses almost half its load (the anomaly check flags it), customers gain a
column half-way (the schema timeline shows it), and two days take backups.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from datasteward.config import Project, load_project
from datasteward.services.backup import backup_dataset, create
from datasteward.services.example_project import write_example_project
from datasteward.services.report import write_report
from datasteward.services.scan import scan

if TYPE_CHECKING:
    from playwright.sync_api import Browser

END = datetime(2026, 1, 20, tzinfo=UTC)
DAYS = 21
OUTAGE_DAY = 15  # loads 55 % of the orders
SCHEMA_DAY = 10  # customers gain a `segment` column
BACKUP_DAYS = {6: "weekly", 13: "weekly", 20: "before-migration"}
ORDERS = 3_000
CHROMIUM = Path("/usr/bin/chromium")
# Offline flags (see NOTES.md): no updates, sync or background requests of its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def day(index: int) -> datetime:
    return END - timedelta(days=DAYS - 1 - index)


def build_shop(root: Path) -> Project:
    """Write the shop, scan it once a day for three weeks and back it up now and then."""
    example = write_example_project(root, orders=ORDERS, now=END)
    config = example.config_path.read_text(encoding="utf-8")
    config = config.replace("# - anomaly: {metric: row_count}", "- anomaly: {metric: row_count}")
    config = config.replace(
        "      - length: {column: country, min: 2, max: 2}\n",
        "      - length: {column: country, min: 2, max: 2}\n      - schema_change: {}\n",
    )
    example.config_path.write_text(config, encoding="utf-8")
    project = load_project(example.config_path)
    orders = pq.read_table(example.orders_path)
    customers = pa_csv.read_csv(example.customers_path)
    for index in range(DAYS):
        as_of = day(index)
        created = pa.scalar(as_of, pa.timestamp("us", tz="UTC"))
        loaded = orders.filter(pc.less_equal(orders["created_at"], created))
        if index == OUTAGE_DAY:
            loaded = loaded.slice(0, int(loaded.num_rows * 0.55))
        pq.write_table(loaded, example.orders_path)
        if index == SCHEMA_DAY:
            segments = pa.array(["retail" if i % 4 else "business" for i in range(len(customers))])
            pa_csv.write_csv(customers.append_column("segment", segments), example.customers_path)
        scan(project, as_of=as_of)
        if index in BACKUP_DAYS:
            _backup_at(project, as_of + timedelta(hours=2), BACKUP_DAYS[index])
    return project


def _backup_at(project: Project, moment: datetime, tag: str) -> None:
    class Clock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> Clock:  # type: ignore[override]
            return cls.fromtimestamp(moment.timestamp(), UTC)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(create, "datetime", Clock)
        for dataset in project.datasets:
            backup_dataset(project, dataset, tags=[tag])


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The shop after three weeks of daily scans (see the module docstring)."""
    return build_shop(tmp_path_factory.mktemp("history") / "shop")


@pytest.fixture(scope="session")
def report_file(shop_project: Project) -> Path:
    """The shop's HTML report, built by the report service with the real profile service."""
    path = shop_project.base_dir / "report.html"
    write_report(shop_project, path, now=END + timedelta(hours=3))
    return path


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright; a missing browser fails, it never skips."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/install-chromium.sh (apt-get install chromium)",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[dev]'", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"exit code {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run_steward(*args: str | os.PathLike[str], cwd: Path) -> Result:
    """``steward ARGS`` in a fresh process, as a user runs it."""
    script = Path(sys.executable).with_name("steward")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "datasteward.cli.main"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    environment.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    done = subprocess.run(
        [*command, *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)
