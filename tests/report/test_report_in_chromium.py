"""The HTML report opened in headless Chromium: every section renders, offline, on a phone.

The screenshots in docs/screenshots (used by the README) are taken here, so they always
show the report as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route, ViewportSize

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
TABS = ("checks", "profile", "trends", "schema", "backups")
# What each tab of the shop's datasets must show (CSS selectors, all visible).
EXPECTED = {
    ("orders", "checks"): [".checks.problems .check.st-fail", ".checks.passing .check.st-pass"],
    ("orders", "profile"): [
        "svg.chart-histogram",
        "svg.chart-top-values",
        "[data-chart=missing] svg.chart-missing",
        "[data-chart=correlations] svg.chart-heatmap",
    ],
    ("orders", "trends"): ["svg.chart-trend", "svg.chart-trend circle.anomaly"],
    ("orders", "schema"): [".timeline li.first", ".schema-cols li"],
    ("orders", "backups"): ["svg.chart-snapshots", "table.snapshots tbody tr"],
    ("customers", "checks"): [".checks.passing .check.st-pass"],
    ("customers", "profile"): ["svg.chart-top-values", "svg.chart-missing"],
    ("customers", "trends"): ["svg.chart-trend"],
    ("customers", "schema"): [".timeline li.change .delta.add"],
    ("customers", "backups"): ["svg.chart-snapshots", "table.snapshots tbody tr"],
}


@dataclass
class Visit:
    """A page that refuses every request except the report file itself."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, report: Path) -> None:
        self.page.route("**/*", self._only_files)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(report.as_uri())
        self.page.wait_for_load_state("load")

    def _only_files(self, route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def show(self, dataset: str, tab: str) -> None:
        self.page.click(f"#{dataset}-tab-{tab}")

    def overflow(self) -> int:
        """Pixels the page is wider than the viewport (0: no sideways scrolling)."""
        width = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        return int(width)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"the report made network requests: {self.blocked}"
        assert self.errors == [], f"console errors: {self.errors}"


Opener = Callable[["ViewportSize"], Visit]


@pytest.fixture
def visit(chromium: Browser, report_file: Path) -> Iterator[Opener]:
    """``visit(viewport)`` opens the shop's report in a new page of that size."""

    def start(viewport: ViewportSize) -> Visit:
        opened = Visit(chromium.new_page(viewport=viewport))
        pages.append(opened)
        opened.open(report_file)
        return opened

    pages: list[Visit] = []
    yield start
    for opened in pages:
        opened.page.close()


def test_every_section_renders_with_no_errors_and_no_requests(visit: Opener) -> None:
    desktop = visit(DESKTOP)
    page = desktop.page
    assert page.locator("#overview").is_visible()
    assert page.locator("#overview table.datasets tbody tr").count() == 2
    for dataset in ("orders", "customers"):
        assert page.locator(f"#{dataset}").is_visible()
        for tab in TABS:
            desktop.show(dataset, tab)
            panel = page.locator(f"#{dataset}-{tab}")
            assert panel.is_visible(), f"{dataset}: the {tab} tab shows nothing"
            for other in TABS:
                if other != tab:
                    assert page.locator(f"#{dataset}-{other}").is_hidden()
            for selector in EXPECTED[(dataset, tab)]:
                found = panel.locator(selector).first
                assert found.is_visible(), f"{dataset} / {tab}: {selector} is not shown"
    desktop.assert_clean()


def test_failing_checks_show_their_sample_rows(visit: Opener) -> None:
    page = visit(DESKTOP).page
    check = page.locator("#orders-checks .check", has_text="unique(order_id)")
    table = check.locator("details.samples table")
    assert table.is_hidden()
    check.locator("details.samples summary").click()
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 2
    assert "order_id" in table.locator("th.hl").inner_text()


def test_a_link_to_a_tab_opens_it(visit: Opener, report_file: Path) -> None:
    page = visit(DESKTOP).page
    page.goto(report_file.as_uri() + "#customers-schema")
    assert page.locator("#customers-schema").is_visible()
    assert page.locator("#customers-checks").is_hidden()


def test_desktop_screenshot(visit: Opener) -> None:
    desktop = visit(DESKTOP)
    desktop.show("orders", "trends")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desktop.page.screenshot(
        path=SCREENSHOTS / "report-desktop.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": DESKTOP["width"], "height": 1640},
    )
    desktop.assert_clean()


@pytest.mark.parametrize("dataset", ["orders", "customers"])
def test_phone_width_never_scrolls_sideways(visit: Opener, dataset: str) -> None:
    phone = visit(PHONE)
    assert phone.overflow() <= 0, "the overview is wider than a phone"
    for tab in TABS:
        phone.show(dataset, tab)
        for details in phone.page.locator(f"#{dataset}-{tab} details").all():
            details.evaluate("element => { element.open = true; }")
        assert phone.overflow() <= 0, f"{dataset} / {tab} is wider than a phone"
    phone.assert_clean()


def test_phone_screenshot(visit: Opener) -> None:
    phone = visit(PHONE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.page.screenshot(
        path=SCREENSHOTS / "report-phone.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": PHONE["width"], "height": 1500},
    )
    phone.assert_clean()


def test_the_guard_catches_a_request(chromium: Browser, tmp_path: Path) -> None:
    """The no-network assertion above is only as good as this: a fetch is seen and refused."""
    page = tmp_path / "leaky.html"
    page.write_text('<img src="https://cdn.example.com/x.png"><p>hi</p>', encoding="utf-8")
    leaky = Visit(chromium.new_page(viewport=DESKTOP))
    try:
        leaky.open(page)
        assert leaky.blocked == ["https://cdn.example.com/x.png"]
    finally:
        leaky.page.close()
