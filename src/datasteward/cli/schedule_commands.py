"""Scheduling doors: ``steward run`` (the scheduler) and ``steward watch`` (scan on change).

Both log one line per job or scan to stderr and stop cleanly on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import timedelta
from typing import Annotated

import typer

from datasteward.cli.main import (
    DEFAULT_CONFIG,
    ConfigOption,
    FailOn,
    _project,
    _scan_exit_code,
    app,
)
from datasteward.errors import ExitCode, UsageError


@app.command("run")
def run_scheduler(
    config: ConfigOption = DEFAULT_CONFIG,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Run the jobs due now (or else the next ones), then exit; 3 if one failed.",
        ),
    ] = False,
) -> None:
    """The scheduler: run scheduled scans and backups until stopped."""
    from datasteward.services.scheduler import (
        Scheduler,
        Shutdown,
        scheduled_jobs,
        stop_on_signals,
    )
    from datasteward.store import Store

    project = _project(config)
    if not scheduled_jobs(project):
        raise UsageError(
            "no dataset has a schedule or a backup_schedule",
            hint="add e.g. 'schedule: {every: 15m}' to a dataset in steward.yml",
        )
    _log_to_stderr()
    shutdown = Shutdown()
    with stop_on_signals(shutdown), Store.open(project.store_url()) as store:
        ran = Scheduler(project, store, shutdown=shutdown).run(once=once)
    if once and not all(outcome.ok for outcome in ran):
        raise typer.Exit(ExitCode.RUNTIME)


@app.command()
def watch(
    dataset: Annotated[str, typer.Argument(help="Dataset to scan when its data changes.")],
    config: ConfigOption = DEFAULT_CONFIG,
    interval: Annotated[
        str, typer.Option("--interval", help="How often to look for changes.")
    ] = "5s",
    debounce: Annotated[
        str, typer.Option("--debounce", help="Scan once the data stayed unchanged this long.")
    ] = "2s",
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column", help="Database sources: also watch the maximum of this column (repeatable)."
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Exit after the first scan, with its exit code.")
    ] = False,
) -> None:
    """Scan a dataset whenever its data changes (files: mtime; tables: a cheap query)."""
    from datasteward.services.scheduler import Shutdown, Watcher, probe_for, stop_on_signals

    project = _project(config)
    every = _duration(interval, "--interval", positive=True)
    quiet = _duration(debounce, "--debounce", positive=False)
    probe = probe_for(project, dataset, column or ())
    _log_to_stderr()
    shutdown = Shutdown()
    with stop_on_signals(shutdown):
        watcher = Watcher(
            project, dataset, interval=every, debounce=quiet, probe=probe, shutdown=shutdown
        )
        run = watcher.run(once=once)
    if run is not None:
        raise typer.Exit(_scan_exit_code(run, FailOn.error))


def _duration(text: str, option: str, *, positive: bool) -> timedelta:
    from datasteward.durations import parse_duration

    try:
        value = parse_duration(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None
    if positive and value <= timedelta(0):
        raise UsageError(f"{option}: must be more than 0s")
    return value


def _log_to_stderr() -> None:
    """One line per event on stderr: ``2026-01-05T06:00:00Z INFO scan:orders slot …``."""
    logger = logging.getLogger("datasteward")
    logger.setLevel(logging.INFO)
    if logger.handlers:
        return
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
