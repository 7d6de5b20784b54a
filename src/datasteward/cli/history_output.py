"""``steward history`` output: rich tables, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from typing import TYPE_CHECKING

from datasteward.cli.render import STATUS_STYLES

if TYPE_CHECKING:
    from rich.console import Console

    from datasteward.services.history import DatasetHistory

__all__ = ["show_history"]


def show_history(history: DatasetHistory, format: str, console: Console) -> None:
    if format == "json":
        payload: dict[str, object] = {
            "dataset": history.dataset,
            "checks": [row.to_json() for row in history.checks],
            "metrics": [row.to_json() for row in history.metrics],
        }
        if history.trends:
            payload["trends"] = [series.to_json() for series in history.trends]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    elif format == "csv":
        _write_csv(history)
    else:
        _print_tables(history, console)


def _write_csv(history: DatasetHistory) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(["kind", "as_of", "run_id", "name", "column", "status", "value", "failed_rows"])
    for c in history.checks:
        writer.writerow(
            [
                "check",
                c.as_of.isoformat(),
                c.run_id,
                c.name,
                c.column or "",
                c.status.value,
                "",
                "" if c.failed_rows is None else c.failed_rows,
            ]
        )
    for m in history.metrics:
        writer.writerow(
            [
                "metric",
                m.as_of.isoformat(),
                m.run_id,
                m.name,
                m.column or "",
                "",
                "" if m.value is None else m.value,
                "",
            ]
        )


def _print_tables(history: DatasetHistory, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    if not history.checks and not history.metrics:
        console.print(
            f"No history for {history.dataset!r} yet: run 'steward scan {history.dataset}'."
        )
        return
    if history.checks:
        table = Table(title=f"{history.dataset}: check results", title_justify="left")
        for heading in ("as of", "check", "status", "failed rows", "details"):
            table.add_column(heading, justify="right" if heading == "failed rows" else "left")
        for c in history.checks:
            style = STATUS_STYLES[c.status.value]
            table.add_row(
                f"{c.as_of:%Y-%m-%d %H:%M}",
                escape(c.name),
                f"[{style}]{c.status.value}[/]",
                "" if c.failed_rows is None else f"{c.failed_rows:,}",
                escape(c.message),
            )
        console.print(table)
    if history.metrics:
        table = Table(title=f"{history.dataset}: metrics", title_justify="left")
        for heading in ("as of", "metric", "column", "value"):
            table.add_column(heading, justify="right" if heading == "value" else "left")
        for m in history.metrics:
            value = "NULL" if m.value is None else f"{m.value:,.6g}"
            table.add_row(
                f"{m.as_of:%Y-%m-%d %H:%M}", escape(m.name), escape(m.column or ""), value
            )
        console.print(table)
    _print_trends(history, console)


def _print_trends(history: DatasetHistory, console: Console) -> None:
    from rich.markup import escape

    for series in history.trends:
        label = escape(series.label)
        if series.trend is None:
            console.print(f"trend of {label}: too few points ({len(series.points)})")
            continue
        trend = series.trend
        style = "bold" if trend.significant else "dim"
        count = len(series.anomalies)
        flagged = f"; {count} point(s) flagged as anomalies" if count else ""
        console.print(
            f"trend of {label}: [{style}]{escape(trend.describe())}[/] "
            f"over {trend.points} points, {trend.start:%Y-%m-%d} to {trend.end:%Y-%m-%d}"
            f"{flagged}"
        )
