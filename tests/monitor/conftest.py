"""A shop in a DuckDB file, a project around it, and scans of it on given days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from datasteward.config import Project, parse_project
from datasteward.model import CheckResult, DatasetResult
from datasteward.services.scan import scan

#: Day 0 of every history: a Monday, scanned at 06:00.
DAY0 = datetime(2026, 1, 5, 6, tzinfo=UTC)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def orders_frame(rows: int, *, seed: int, missing_email: float = 0.02) -> pd.DataFrame:
    """``rows`` orders: a known share of emails missing, amounts around 100."""
    rng = np.random.default_rng(seed)
    emails = np.array([f"c{i}@example.com" for i in range(rows)], dtype=object)
    emails[: round(missing_email * rows)] = None
    return pd.DataFrame(
        {
            "order_id": np.arange(rows, dtype=np.int64),
            "amount": rng.normal(100, 10, rows),
            "email": rng.permutation(emails),
        }
    )


@dataclass
class Shop:
    """A DuckDB file with an ``orders`` table, and a project whose store is beside it."""

    folder: Path

    @property
    def database(self) -> Path:
        return self.folder / "data" / "shop.duckdb"

    def write(self, frame: pd.DataFrame, table: str = "orders") -> None:
        self.database.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.database)) as connection:
            connection.register("incoming", frame)
            connection.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM incoming')

    def execute(self, *statements: str) -> None:
        with duckdb.connect(str(self.database)) as connection:
            for statement in statements:
                connection.execute(statement)

    def project(self, checks: Sequence[str], *, monitor: str = "auto") -> Project:
        listed = "".join(f"\n      - {check}" for check in checks)
        text = f"""
sources:
  warehouse: {{type: duckdb, path: data/shop.duckdb}}
datasets:
  orders:
    source: warehouse
    table: orders
    monitor: {monitor}
    checks:{listed}
"""
        (self.folder / "steward.yml").write_text(text)
        return parse_project(text, base_dir=self.folder)

    def scan(self, project: Project, when: datetime) -> DatasetResult:
        (result,) = scan(project, as_of=when).datasets
        return result

    def history(self, project: Project, days: int, rows: Sequence[int] | None = None) -> None:
        """One scan a day for ``days`` days of ordinary data (``rows`` per day if given)."""
        for n in range(days):
            count = rows[n] if rows is not None else 1000 + 13 * (n % 5)
            self.write(orders_frame(count, seed=n))
            self.scan(project, day(n))


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    return Shop(tmp_path)


def check_named(result: DatasetResult, name: str) -> CheckResult:
    found = {check.name: check for check in result.checks}
    assert name in found, f"no check {name!r} in {sorted(found)}"
    return found[name]


def metric_of(result: DatasetResult, name: str, column: str | None = None) -> Any:
    found = {(m.name, m.column): m.value for m in result.metrics}
    return found[(name, column)]
