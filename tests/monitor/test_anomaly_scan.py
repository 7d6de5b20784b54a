"""``anomaly`` checks through real scans of a DuckDB file, day by day with ``as_of``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datasteward.config import Project
from datasteward.errors import UsageError
from datasteward.model import CheckStatus
from datasteward.services.history import accept_incidents

from .conftest import Shop, check_named, day, orders_frame

ROW_COUNT = "anomaly(row_count)"
MISSING = "anomaly(missing_percent, email)"
CHECKS = ["anomaly: {metric: row_count}", "anomaly: {metric: missing_percent, column: email}"]
HISTORY_DAYS = 21


def _steward(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("steward")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "datasteward.cli.main"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    return subprocess.run(
        [*command, *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )


def _accept(door: str, shop: Shop, project: Project, date: str) -> None:
    if door == "api":
        assert accept_incidents(project, "orders", date) == 1
        return
    done = _steward("history", "orders", "--accept", date, cwd=shop.folder)
    assert done.returncode == 0, done.stderr
    assert "accepted 1 flagged point(s) of orders as expected" in done.stdout


@pytest.fixture(scope="module")
def built_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """21 ordinary days scanned once per module; each test gets its own copy."""
    shop = Shop(tmp_path_factory.mktemp("history"))
    shop.history(shop.project(CHECKS), HISTORY_DAYS)
    return shop.folder


@pytest.fixture
def with_history(shop: Shop, built_history: Path) -> Project:
    shutil.copytree(built_history, shop.folder, dirs_exist_ok=True)
    return shop.project(CHECKS)


def test_a_row_count_drop_fails_with_the_band_in_the_message(
    shop: Shop, with_history: Project
) -> None:
    shop.write(orders_frame(300, seed=99))
    result = shop.scan(with_history, day(HISTORY_DAYS))
    check = check_named(result, ROW_COUNT)
    assert check.status is CheckStatus.FAIL
    assert check.message.startswith("row_count = 300 is outside the band: expected 1,0")
    assert f"from {HISTORY_DAYS} points since 2026-01-05" in check.message
    observed = check.observed
    assert observed["metric"] == "row_count" and observed["value"] == 300
    assert observed["history"] == HISTORY_DAYS
    assert observed["low"] < observed["expected"] < observed["high"]
    assert 980 < observed["expected"] < 1080
    assert 300 < observed["low"] < 1000 < observed["high"] < 1200
    assert check_named(result, MISSING).status is CheckStatus.PASS


@pytest.mark.parametrize("door", ["api", "cli"])
def test_the_incident_stays_out_of_baselines_until_accepted(
    shop: Shop, with_history: Project, door: str
) -> None:
    incident = HISTORY_DAYS
    shop.write(orders_frame(300, seed=99))
    assert check_named(shop.scan(with_history, day(incident)), ROW_COUNT).status == "fail"

    shop.write(orders_frame(1010, seed=100))
    after = check_named(shop.scan(with_history, day(incident + 1)), ROW_COUNT)
    assert after.status is CheckStatus.PASS
    # 21 ordinary days before it; the incident day is left out.
    assert f"from {HISTORY_DAYS} points" in after.message
    assert after.observed["history"] == HISTORY_DAYS

    _accept(door, shop, with_history, day(incident).date().isoformat())
    shop.write(orders_frame(1020, seed=101))
    accepted = check_named(shop.scan(with_history, day(incident + 2)), ROW_COUNT)
    # Now the accepted day counts: 21 + the incident + the day after.
    assert accepted.observed["history"] == HISTORY_DAYS + 2
    # One 300 among 23 points does not move a robust band.
    assert accepted.status is CheckStatus.PASS
    assert accepted.observed["low"] > 800


def test_accepting_a_day_without_incidents_is_a_usage_error(
    shop: Shop, with_history: Project
) -> None:
    with pytest.raises(UsageError, match="no flagged anomaly of 'orders' matches '2026-01-06'"):
        accept_incidents(with_history, "orders", "2026-01-06")


def test_a_missing_percent_jump_fails_its_column_anomaly(shop: Shop, with_history: Project) -> None:
    shop.write(orders_frame(1010, seed=99, missing_email=0.3))
    result = shop.scan(with_history, day(HISTORY_DAYS))
    check = check_named(result, MISSING)
    assert check.status is CheckStatus.FAIL
    assert check.column == "email"
    assert check.message.startswith("missing_percent = 30 is outside the band: expected 2")
    assert check_named(result, ROW_COUNT).status is CheckStatus.PASS


def test_not_enough_history_is_an_error_naming_the_counts(shop: Shop) -> None:
    project = shop.project(["anomaly: {metric: row_count, min_history: 7}"])
    shop.history(project, 3)
    shop.write(orders_frame(1000, seed=3))
    check = check_named(shop.scan(project, day(3)), ROW_COUNT)
    assert check.status is CheckStatus.ERROR
    assert check.message == "not enough history: 3 of 7 points"


def test_min_history_is_honoured(shop: Shop) -> None:
    project = shop.project(["anomaly: {metric: row_count, min_history: 3}"])
    shop.history(project, 3)
    shop.write(orders_frame(1000, seed=3))
    check = check_named(shop.scan(project, day(3)), ROW_COUNT)
    assert check.status is CheckStatus.PASS
    assert "from 3 points" in check.message


def test_monitor_off_makes_a_column_metric_anomaly_an_error(shop: Shop) -> None:
    project = shop.project(CHECKS, monitor="off")
    shop.history(project, 8)
    shop.write(orders_frame(1000, seed=8))
    result = shop.scan(project, day(8))
    column = check_named(result, MISSING)
    assert column.status is CheckStatus.ERROR
    assert column.message == (
        "metric 'missing_percent' of column 'email' is not measured by this scan "
        "(keep 'monitor: auto' on the dataset or add a metric check for it)"
    )
    # The dataset's row count is always recorded, so that anomaly still works.
    assert check_named(result, ROW_COUNT).status is CheckStatus.PASS


def test_a_scan_without_a_store_cannot_judge_anomalies(shop: Shop) -> None:
    from datasteward.services.scan import scan

    project = shop.project(CHECKS)
    shop.write(orders_frame(1000, seed=0))
    (result,) = scan(project, as_of=day(0), record=False).datasets
    check = check_named(result, ROW_COUNT)
    assert check.status is CheckStatus.ERROR
    assert "needs metric history" in check.message
