"""``steward history DATASET --metric M``: the fitted trend, and ``--plot FILE.png``."""

from __future__ import annotations

import json
from pathlib import Path

from datasteward.config import Project

from .conftest import DAYS, OUTAGE_DAY, day, run_steward

PNG = b"\x89PNG\r\n\x1a\n"


def test_history_prints_the_trend_of_the_metric(shop_project: Project) -> None:
    done = run_steward("history", "orders", "--metric", "row_count", cwd=shop_project.base_dir)
    assert done.returncode == 0, done.describe()
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("trend of row_count"))
    assert "+34.52 per day (95% CI +33.67 to +35.36)" in line
    assert f"over {DAYS} points" in line and "1 point(s) flagged as anomalies" in line


def test_history_json_carries_the_trend(shop_project: Project) -> None:
    done = run_steward(
        "history", "orders", "-m", "missing_percent", "-f", "json", cwd=shop_project.base_dir
    )
    assert done.returncode == 0, done.describe()
    trends = {t["column"]: t for t in json.loads(done.stdout)["trends"]}
    assert {"discount", "customer_id", "shipped_at"} <= set(trends)
    discount = trends["discount"]["trend"]
    assert discount["method"] == "theil-sen" and discount["low"] <= discount["slope_per_day"]
    assert discount["slope_per_day"] <= discount["high"]


def test_history_without_a_metric_has_no_trends(shop_project: Project) -> None:
    done = run_steward("history", "orders", "-f", "json", cwd=shop_project.base_dir)
    assert done.returncode == 0, done.describe()
    assert "trends" not in json.loads(done.stdout)


def test_plot_writes_a_png(shop_project: Project, tmp_path: Path) -> None:
    target = tmp_path / "row_count.png"
    done = run_steward(
        "history", "orders", "-m", "row_count", "--plot", target, cwd=shop_project.base_dir
    )
    assert done.returncode == 0, done.describe()
    assert target.read_bytes().startswith(PNG)
    assert f"wrote {target}" in done.stdout
    assert day(OUTAGE_DAY).strftime("%Y-%m-%d") in done.stdout


def test_plot_needs_a_metric_with_values(shop_project: Project, tmp_path: Path) -> None:
    without = run_steward(
        "history", "orders", "--plot", tmp_path / "x.png", cwd=shop_project.base_dir
    )
    assert without.returncode == 2 and "--plot needs --metric" in without.stderr
    unknown = run_steward(
        "history", "orders", "-m", "nope", "--plot", tmp_path / "x.png", cwd=shop_project.base_dir
    )
    assert unknown.returncode == 2 and "nothing to plot" in unknown.stderr
    assert not (tmp_path / "x.png").exists()
