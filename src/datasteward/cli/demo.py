"""``steward demo``: generate a project with planted problems, scan it, explain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from datasteward.cli.progress import scan_with_progress
from datasteward.cli.render import render_text
from datasteward.config import load_project
from datasteward.services.example_project import write_example_project

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["run_demo"]


def run_demo(directory: Path, rows: int, console: Console) -> None:
    console.rule("[bold]Steward demo")
    with console.status(f"generating {rows:,} orders with planted problems in {directory}/ …"):
        example = write_example_project(directory, orders=rows, force=True)
    defects = example.defects
    console.print(
        f"Wrote [bold]{example.config_path}[/]: {example.order_rows:,} orders, "
        f"{example.customer_rows:,} customers. Planted: {defects.duplicate_order_rows} rows with "
        f"duplicated order ids, {defects.null_customer_ids} missing customer ids, "
        f"{defects.malformed_emails} bad emails, "
        f"{defects.negative_amounts + defects.excessive_amounts} out-of-range amounts, "
        f"{defects.orphan_customer_ids} orphan customer ids, {defects.late_shipments} late shipments."
    )
    run = scan_with_progress(load_project(example.config_path), None)
    render_text(run, console)
    console.print(
        f"\nThe failures above are the planted problems. Results are stored in "
        f"{example.directory / '.steward'}; try:\n"
        f"  cd {directory}\n  steward scan --format json\n  steward history orders\n"
        "  steward scan orders --fail-on warn; echo $?"
    )
