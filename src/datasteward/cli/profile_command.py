"""``steward profile DATASET``: what the columns hold, computed in the dataset's engine."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from datasteward.cli.main import DEFAULT_CONFIG, ConfigOption, _console, _project, app

if TYPE_CHECKING:
    from rich.console import Console

    from datasteward.config.models import Project
    from datasteward.services.profile import Profile, ProfileOptions


class ProfileFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def profile(
    dataset: Annotated[str, typer.Argument(help="Dataset to profile.")],
    config: ConfigOption = DEFAULT_CONFIG,
    format: Annotated[
        ProfileFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ProfileFormat.text,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Also write a standalone HTML page."),
    ] = None,
    approx: Annotated[
        bool,
        typer.Option(
            "--approx", help="Approximate distinct counts with the engine's sketch (HyperLogLog)."
        ),
    ] = False,
    sample: Annotated[
        str | None,
        typer.Option("--sample", metavar="N|P%", help="Profile a random sample: rows or percent."),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Top values and patterns listed.", min=1)] = 10,
    bins: Annotated[int, typer.Option("--bins", help="Histogram bins.", min=1, max=200)] = 20,
) -> None:
    """Profile a dataset: types, missing and distinct values, distributions, correlations, keys."""
    from datasteward.services.profile import ProfileOptions, SampleSize

    project = _project(config)
    options = ProfileOptions(
        approx=approx,
        sample=SampleSize.parse(sample) if sample is not None else None,
        top=top,
        bins=bins,
    )
    result = _profile_with_progress(
        project, dataset, options, quiet=format is not ProfileFormat.text
    )
    if html is not None:
        from datasteward.services.profile.html import write_html

        write_html(result, html)
    if format is ProfileFormat.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    console = _console()
    print_profile(result, console)
    if html is not None:
        console.print(f"wrote {html}")


def _profile_with_progress(
    project: Project, dataset: str, options: ProfileOptions, *, quiet: bool
) -> Profile:
    """Profile, with a spinner naming the current step on stderr when it is a terminal."""
    from datasteward.services.profile import profile_dataset

    if quiet or not sys.stderr.isatty():
        return profile_dataset(project, dataset, options)
    from rich.console import Console

    with Console(stderr=True).status(f"profiling [bold]{dataset}[/]") as status:

        def step(description: str) -> None:
            status.update(f"profiling [bold]{dataset}[/]: {description}")

        return profile_dataset(project, dataset, options, progress=step)


def print_profile(result: Profile, console: Console) -> None:
    """The profile as rich tables: one row per column, then correlations and keys."""
    from rich.markup import escape
    from rich.table import Table

    from datasteward.services.profile.html import count, show

    scope = f"{result.row_count:,} rows"
    if result.sample is not None:
        scope = f"a sample of {result.row_count:,} of {result.total_rows or 0:,} rows"
    console.print(
        f"[bold]{escape(result.dataset)}[/]: {scope}, {len(result.columns)} columns "
        f"({result.engine}, {result.seconds:.2f}s)"
    )
    table = Table(title_justify="left", expand=False)
    for heading in ("column", "type", "missing", "distinct", "min", "max", "mean", "stddev"):
        table.add_column(heading, justify="left" if heading in {"column", "type"} else "right")
    table.add_column("median", justify="right")
    table.add_column("top value / pattern", overflow="fold")
    for column in result.columns:
        common = column.top_values[0] if column.top_values else None
        shape = f" · {column.patterns[0].value}" if column.patterns else ""
        distinct = count(column.distinct_count) + ("" if column.distinct_exact else " ≈")
        table.add_row(
            escape(column.name),
            escape(column.type),
            f"{column.missing_percent:.1f}%",
            distinct,
            escape(show(column.min)),
            escape(show(column.max)),
            show(column.mean),
            show(column.stddev),
            show(column.quantiles.get("p50")),
            escape((f"{show(common.value)} ({common.count:,})" if common else "") + shape),
        )
    console.print(table)
    strong = sorted(
        (c for c in result.correlations if c.value is not None and abs(c.value) >= 0.5),
        key=lambda c: -abs(c.value or 0),
    )
    if strong:
        console.print("strongest correlations (|value| ≥ 0.5):")
        for item in strong[:10]:
            console.print(f"  {escape(' ~ '.join(item.columns))}: {item.method} {item.value:+.3f}")
    keys = ", ".join("(" + ", ".join(k.columns) + ")" for k in result.candidate_keys)
    console.print(f"candidate keys: {escape(keys) if keys else 'none'}")
    if result.distinct_error is not None:
        console.print(f"distinct counts marked ≈ are approximate (±~{result.distinct_error:.0%})")
    for note in result.notes:
        console.print(f"note: {escape(note)}")
