"""``steward outliers DATASET``: the most anomalous rows, with the values that make them so."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from datasteward.cli.main import DEFAULT_CONFIG, ConfigOption, _console, _project, app
from datasteward.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from datasteward.config.models import Project
    from datasteward.services.outliers import Contamination, Deviation, Outlier, OutlierReport


class OutliersFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def outliers(
    dataset: Annotated[str, typer.Argument(help="Dataset whose rows to score.")],
    config: ConfigOption = DEFAULT_CONFIG,
    columns: Annotated[
        list[str] | None,
        typer.Option(
            "--columns", metavar="A,B,…", help="Columns to score (default: the numeric ones)."
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="How many rows to show.", min=1)] = 20,
    sample: Annotated[
        int, typer.Option("--sample", help="Rows sampled to fit the model.", min=2)
    ] = 100_000,
    contamination: Annotated[
        str,
        typer.Option("--contamination", help="Expected share of outliers (0-0.5), or 'auto'."),
    ] = "auto",
    format: Annotated[
        OutliersFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutliersFormat.text,
) -> None:
    """Score every row with an isolation forest and show the most anomalous ones."""
    project = _project(config)
    chosen = [name.strip() for item in columns or [] for name in item.split(",") if name.strip()]
    report = _find_with_progress(
        project,
        dataset,
        columns=chosen or None,
        top=top,
        sample_rows=sample,
        contamination=_contamination(contamination),
        quiet=format is not OutliersFormat.text,
    )
    if format is OutliersFormat.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    _print_report(report, _console())


def _contamination(text: str) -> Contamination:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = float(text)
    except ValueError:
        raise UsageError(
            f"--contamination: {text!r} is not a number", hint="use 'auto' or a share like 0.01"
        ) from None
    return value


def _find_with_progress(
    project: Project,
    dataset: str,
    *,
    columns: list[str] | None,
    top: int,
    sample_rows: int,
    contamination: Contamination,
    quiet: bool,
) -> OutlierReport:
    """Find outliers, with a progress bar on stderr when it is a terminal."""
    from functools import partial

    from datasteward.services.outliers import OutlierListener, find_outliers

    find = partial(
        find_outliers,
        project,
        dataset,
        columns=columns,
        top=top,
        sample_rows=sample_rows,
        contamination=contamination,
    )
    if quiet or not sys.stderr.isatty():
        return find()
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    parts = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*parts, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"sampling [bold]{dataset}[/] and fitting", total=None)

        def started(rows: int) -> None:
            progress.update(task, description=f"scoring [bold]{dataset}[/]", total=rows)

        def scored(rows: int) -> None:
            progress.advance(task, rows)

        return find(listener=OutlierListener(started, scored))


def _print_report(report: OutlierReport, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    scored_on = ", ".join(report.columns)
    console.print(
        f"[bold]{escape(report.dataset)}[/]: {report.rows_scored:,} rows scored on "
        f"{escape(scored_on)} (model fitted on {report.sample_rows:,} sampled rows)"
    )
    if not report.outliers:
        console.print("no rows to score")
        return
    table = Table(title_justify="left", expand=False)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("row", overflow="fold")
    table.add_column("unusual values", overflow="fold")
    for rank, outlier in enumerate(report.outliers, start=1):
        style = "bold red" if outlier.flagged else ""
        table.add_row(
            str(rank),
            f"[{style}]{outlier.score:.3f}[/]" if style else f"{outlier.score:.3f}",
            escape(_row_label(outlier, report.key)),
            escape("\n".join(_reason(outlier, d) for d in outlier.reasons)),
        )
    console.print(table)
    console.print(
        f"{report.flagged_rows:,} of {report.rows_scored:,} rows score above "
        f"{report.threshold:.3f}, the threshold of --contamination {report.contamination}"
    )


def _row_label(outlier: Outlier, key: list[str]) -> str:
    """The dataset key when there is one, else the whole row."""
    shown = key if key and all(k in outlier.row for k in key) else list(outlier.row)
    return ", ".join(f"{name}={_value(outlier.row[name])}" for name in shown)


def _reason(outlier: Outlier, deviation: Deviation) -> str:
    text = f"{deviation.column}={_value(outlier.row.get(deviation.column))} (z {deviation.z:+.1f}"
    if deviation.expected is not None and deviation.z_given_others is not None:
        text += f"; from the others: {deviation.expected:.4g}, z {deviation.z_given_others:+.1f}"
    return text + ")"


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "NULL" if value is None else str(value)
