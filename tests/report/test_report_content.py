"""What the report holds, read from the HTML and from the service, and ``steward report``."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from datasteward.config import Project, load_project
from datasteward.services.example_project import write_example_project
from datasteward.services.report import build_report, render_report
from datasteward.services.scan import scan

from .conftest import BACKUP_DAYS, DAYS, END, OUTAGE_DAY, SCHEMA_DAY, day, run_steward

# Anything that would make a browser fetch something: scripts, styles, images, fonts.
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""", re.I
)


def test_the_page_loads_nothing_from_elsewhere(report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    assert not EXTERNAL.search(html)
    assert "<script src" not in html and "<link" not in html
    assert html.count("<svg") == html.count("</svg>") > 20


def test_the_service_gathers_every_part(shop_project: Project) -> None:
    report = build_report(shop_project)
    orders, customers = report.datasets
    assert (orders.name, orders.status, customers.status) == ("orders", "fail", "pass")
    assert orders.row_count == 3_000 and customers.row_count == 300
    assert [c.latest.status.value for c in orders.checks][:7] == ["fail"] * 7
    unique = next(c for c in orders.checks if c.latest.name == "unique(order_id)")
    assert len(unique.latest.samples) == 2 and len(unique.history) == DAYS
    row_count = next(m for m in orders.metrics if m.label == "row_count")
    assert row_count.featured and row_count.anomalies == [day(OUTAGE_DAY)]
    assert row_count.trend is not None and row_count.trend.significant
    assert row_count.bands, "the anomaly check's expected band is drawn"
    assert orders.profile is not None and orders.profile.correlation_columns
    assert orders.missing is not None and orders.missing.rows == 3_000
    (change, first) = customers.schema
    assert first.first and change.as_of == day(SCHEMA_DAY)
    assert change.added == [("segment", "VARCHAR")]
    assert (change.stable_scans, first.stable_scans) == (DAYS - SCHEMA_DAY, SCHEMA_DAY)
    assert [s.tags for s in orders.snapshots] == [[tag] for tag in BACKUP_DAYS.values()]
    assert orders.runs[-1] == (END, "fail")


def test_the_page_names_what_a_reader_looks_for(report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    for text in (
        "unique(order_id)",  # a failing check
        "2 of 3000 rows share a duplicated order_id",
        "anomaly(row_count)",
        "+34.52 per day",  # the row count's trend
        "+ segment",  # the schema change
        "before-migration",  # a snapshot's tag
        "Correlations",
        "Missing values",
    ):
        assert text in html, text


def test_a_report_of_some_datasets(shop_project: Project) -> None:
    report = build_report(shop_project, ["customers"], now=END + timedelta(hours=1))
    html = render_report(report)
    assert [d.name for d in report.datasets] == ["customers"]
    assert 'id="customers"' in html and 'id="orders"' not in html


def test_a_project_never_scanned_or_backed_up_still_renders(tmp_path: Path) -> None:
    example = write_example_project(tmp_path / "fresh", orders=300)
    report = build_report(load_project(example.config_path))
    html = render_report(report)
    assert report.status == "unknown"
    assert all(d.snapshot_problem is None and not d.snapshots for d in report.datasets)
    assert "No scan recorded yet" in html and "No snapshot yet" in html
    assert "steward backup orders" in html


def test_steward_report_writes_the_file(shop_project: Project, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    done = run_steward("report", "--html", target, "orders", cwd=shop_project.base_dir)
    assert done.returncode == 0, done.describe()
    assert str(target) in done.stdout and "1 dataset(s), 1 with problems" in done.stdout
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and 'id="orders"' in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--html", "r.html", "ordres"], "unknown dataset 'ordres'"),
        (["report", "orders"], "Missing option '--html'"),
    ],
)
def test_steward_report_usage_errors(shop_project: Project, args: list[str], message: str) -> None:
    done = run_steward(*args, cwd=shop_project.base_dir)
    assert done.returncode == 2, done.describe()
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_unreadable_data_becomes_a_note(tmp_path: Path) -> None:
    example = write_example_project(tmp_path / "gone", orders=300)
    project = load_project(example.config_path)
    scan(project)
    example.orders_path.unlink()
    report = build_report(project)
    orders = next(d for d in report.datasets if d.name == "orders")
    assert orders.profile is None and orders.missing is None
    assert orders.profile_problem is not None and "orders" in orders.profile_problem
    assert orders.checks, "the recorded results are still shown"
    assert '<p class="note">' in render_report(report)


def test_values_from_the_data_cannot_inject_markup(shop_project: Project) -> None:
    hostile = "<script>alert(1)</script>"
    report = build_report(shop_project, ["orders"])
    orders = report.datasets[0]
    entry = orders.checks[0]
    row = replace(entry.latest, message=hostile, samples=[{"email": hostile, hostile: 1}])
    assert orders.profile is not None
    column = replace(orders.profile.columns[0], name=hostile, top_values=[(hostile, 3)], bins=[])
    profile = replace(orders.profile, columns=[column])
    orders = replace(orders, checks=[replace(entry, latest=row)], profile=profile)
    html = render_report(replace(report, datasets=[orders]))
    assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
