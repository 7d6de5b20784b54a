"""``steward report --html FILE [DATASET...]``: one self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from datasteward.cli.main import DEFAULT_CONFIG, ConfigOption, _console, _project, app


@app.command()
def report(
    datasets: Annotated[
        list[str] | None, typer.Argument(help="Datasets to include (default: all).")
    ] = None,
    html: Annotated[
        Path,
        typer.Option(
            "--html", metavar="FILE", help="Write the report to FILE (one self-contained page)."
        ),
    ] = ...,  # type: ignore[assignment]
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Check results, profiles, trends, schema changes and snapshots as one HTML page."""
    from datasteward.services.report import write_report

    project = _project(config)
    console = _console()
    with console.status("Building the report…"):
        written = write_report(project, html, datasets or None)
    problems = sum(d.status in ("fail", "error") for d in written.datasets)
    console.print(
        f"Wrote [bold]{html}[/] ({html.stat().st_size / 1024:,.0f} KiB): "
        f"{len(written.datasets)} dataset(s), {problems} with problems"
    )
