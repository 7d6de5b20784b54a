"""Scan results as text (rich tables), JSON (DESIGN.md section 4) and JUnit XML."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

if TYPE_CHECKING:
    from rich.console import Console

    from datasteward.model import Run

__all__ = ["STATUS_STYLES", "render_json", "render_junit", "render_text"]

STATUS_STYLES = {"pass": "green", "fail": "bold red", "warn": "yellow", "error": "magenta"}


def render_json(run: Run) -> str:
    return json.dumps(run.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_junit(run: Run) -> str:
    """One <testsuite> per dataset, one <testcase> per check: what CI systems display."""
    suites = ElementTree.Element(
        "testsuites", name="steward scan", timestamp=run.to_json()["as_of"]
    )
    for dataset in run.datasets:
        counts = {s: sum(c.status.value == s for c in dataset.checks) for s in STATUS_STYLES}
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=dataset.dataset,
            tests=str(len(dataset.checks)),
            failures=str(counts["fail"]),
            errors=str(counts["error"]),
            skipped="0",
            time=f"{dataset.seconds:.3f}",
        )
        for check in dataset.checks:
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"steward.{dataset.dataset}", name=check.name
            )
            if check.status.value == "fail":
                _detail(case, "failure", check.message, check.type, check.samples)
            elif check.status.value == "error":
                _detail(case, "error", check.message, check.type, [])
            elif check.status.value == "warn":
                ElementTree.SubElement(case, "system-out").text = f"WARNING: {check.message}"
    ElementTree.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, "unicode") + "\n"
    )


def _detail(
    case: ElementTree.Element, tag: str, message: str, kind: str, samples: list[Any]
) -> None:
    element = ElementTree.SubElement(case, tag, message=message, type=kind)
    if samples:
        element.text = "\n".join(json.dumps(s, ensure_ascii=False) for s in samples)


def render_text(run: Run, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    for dataset in run.datasets:
        rows = "?" if dataset.row_count is None else f"{dataset.row_count:,}"
        table = Table(
            title=f"[bold]{escape(dataset.dataset)}[/]  {rows} rows  {dataset.seconds:.2f}s",
            title_justify="left",
            expand=False,
        )
        table.add_column("status")
        table.add_column("check", overflow="fold")
        table.add_column("failed rows", justify="right")
        table.add_column("details", overflow="fold")
        for check in dataset.checks:
            style = STATUS_STYLES[check.status.value]
            failed = "" if check.failed_rows is None else f"{check.failed_rows:,}"
            table.add_row(
                f"[{style}]{check.status.value.upper()}[/]",
                escape(check.name),
                failed,
                escape(check.message),
            )
        console.print(table)
    summary = run.summary
    parts = [f"[{STATUS_STYLES[k]}]{v} {k}[/]" for k, v in summary.items() if v or k == "pass"]
    console.print("checks: " + ", ".join(parts))
