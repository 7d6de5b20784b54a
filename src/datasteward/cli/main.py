"""``steward``: every command is a thin layer over a service (DESIGN.md section 4).

Heavy modules are imported inside the commands so ``steward --help`` stays fast.
"""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from datasteward.errors import ExitCode, StewardError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from datasteward.config.models import Project
    from datasteward.model import Run

app = typer.Typer(
    name="steward",
    help="Steward: data quality checks, history, backups and repairs, where the data lives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Configuration file.", show_default=True)
]
DEFAULT_CONFIG = Path("steward.yml")


class ScanFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"


class FailOn(StrEnum):
    error = "error"
    warn = "warn"
    never = "never"


class TableFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


_state = {"debug": False, "done": False}


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    _state["debug"] = debug


def _project(config: Path) -> Project:
    from datasteward.config import load_project

    return load_project(config)


def _parse_time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    from datasteward.services.times import parse_timestamp

    try:
        return parse_timestamp(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None


@app.command()
def scan(
    datasets: Annotated[
        list[str] | None, typer.Argument(help="Datasets to scan (default: all).")
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    format: Annotated[
        ScanFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ScanFormat.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the output to FILE.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Logical time of the run (ISO 8601), default now.")
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Which results make the exit code 1.")
    ] = FailOn.error,
) -> None:
    """Run the checks of the datasets and record the results."""
    from datasteward.cli.progress import scan_with_progress

    project = _project(config)
    run = scan_with_progress(
        project,
        datasets or None,
        as_of=_parse_time(as_of, "--as-of"),
        quiet=format != ScanFormat.text,
    )
    _emit_run(run, format, output)
    work_done()
    raise typer.Exit(_scan_exit_code(run, fail_on))


def work_done() -> None:
    """The command's work is committed and closed and its output written: the ``steward``
    script may now exit without tearing down the interpreter (see ``run``)."""
    _state["done"] = True


def _emit_run(run: Run, format: ScanFormat, output: Path | None) -> None:
    from datasteward.cli import render

    if format is ScanFormat.text and output is None:
        render.render_text(run, _console())
        return
    if format is ScanFormat.text:
        from io import StringIO

        from rich.console import Console

        buffer = StringIO()
        render.render_text(run, Console(file=buffer, width=120, no_color=True))
        text = buffer.getvalue()
    else:
        text = render.render_json(run) if format is ScanFormat.json else render.render_junit(run)
    if output is None:
        sys.stdout.write(text)
    else:
        from datasteward.services.files import write_text_atomically

        write_text_atomically(output, text)


def _scan_exit_code(run: Run, fail_on: FailOn) -> int:
    if fail_on is FailOn.never:
        return ExitCode.OK
    for dataset in run.datasets:
        for check in dataset.checks:
            if check.status.value == "pass":
                continue
            if check.severity.value == "error" or fail_on is FailOn.warn:
                return ExitCode.CHECKS_FAILED
    return ExitCode.OK


@app.command()
def history(
    dataset: Annotated[str, typer.Argument(help="Dataset whose history to show.")],
    config: ConfigOption = DEFAULT_CONFIG,
    metric: Annotated[str | None, typer.Option("--metric", "-m", help="Only this metric.")] = None,
    check: Annotated[str | None, typer.Option("--check", help="Only this check.")] = None,
    format: Annotated[TableFormat, typer.Option("--format", "-f")] = TableFormat.text,
    limit: Annotated[int, typer.Option("--limit", help="Newest N entries.", min=1)] = 50,
    accept: Annotated[
        str | None,
        typer.Option(
            "--accept",
            help="Mark the anomalies of a run (id, or a date like 2026-01-05) as expected, "
            "so later baselines include them (with --metric: only that metric).",
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="With --metric: draw its values, trend and anomalies into a PNG.",
        ),
    ] = None,
) -> None:
    """Show check results and metric values of a dataset over time.

    With --metric, also the metric's trend: its Theil-Sen slope per day and 95% interval.
    """
    from datasteward.cli.history_output import show_history
    from datasteward.services.history import accept_incidents, dataset_history

    if plot is not None and metric is None:
        raise UsageError("--plot needs --metric NAME", hint="e.g. --metric row_count")
    project = _project(config)
    if accept is not None:
        count = accept_incidents(project, dataset, accept, metric=metric)
        _console().print(f"accepted {count} flagged point(s) of {dataset} as expected")
        return
    result = dataset_history(project, dataset, metric=metric, check=check, limit=limit)
    show_history(result, format.value, _console())
    if plot is not None:
        from datasteward.services.trend_plot import plot_trends

        plot_trends(result.trends, plot, title=f"{dataset}: {metric}")
        if format is TableFormat.text:
            _console().print(f"wrote {plot}")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new project.")] = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing steward.yml.")
    ] = False,
) -> None:
    """Create a project with example data and a commented steward.yml to edit."""
    from datasteward.services.example_project import write_example_project

    project = write_example_project(directory, force=force)
    console = _console()
    console.print(
        f"Created [bold]{project.config_path}[/] with example data in {project.directory / 'data'}"
    )
    console.print(f"Next: [bold]cd {directory} && steward scan[/]")


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo project.")] = Path(
        "steward-demo"
    ),
    rows: Annotated[int, typer.Option("--rows", help="Orders to generate.", min=100)] = 20_000,
) -> None:
    """A self-contained tour: generate data with planted problems, scan it, show results."""
    from datasteward.cli.demo import run_demo

    run_demo(directory, rows, _console())


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def run() -> None:
    """Entry point: user errors become one line on stderr and a documented exit code.

    Usage mistakes typer itself detects (unknown option, bad choice) exit 2 as well.
    """
    try:
        app()
    except StewardError as error:
        if _state["debug"]:
            raise
        sys.stderr.write(f"error: {error}\n")
        sys.exit(error.exit_code)
    except SystemExit as done:
        if _state["done"] and _is_the_steward_script():
            _exit_without_teardown(done.code)
        raise


def _is_the_steward_script() -> bool:
    """Whether this process is the ``steward`` command itself, which only exits after
    ``run()`` returns (not a test or program calling ``run()`` and going on)."""
    main = sys.modules.get("__main__")
    return Path(getattr(main, "__file__", None) or "").name in {"steward", "steward.exe"}


def _exit_without_teardown(code: object) -> None:
    """Exit now: tearing down the interpreter (every module, DuckDB's library) takes
    longer than a small scan. Only called when the command has finished its work: the
    store is committed and closed, sources are closed, the output is written."""
    import os

    if "logging" in sys.modules:
        import logging

        logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


# Commands defined in other modules register themselves on ``app`` when imported.
from datasteward.cli import backup_commands
from datasteward.cli import maintain_commands
from datasteward.cli import schedule_commands
from datasteward.cli import outliers_command
from datasteward.cli import suggest_command
from datasteward.cli import report_command
from datasteward.cli import profile_command

if __name__ == "__main__":
    run()
