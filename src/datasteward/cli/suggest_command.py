"""``steward suggest DATASET``: checks inferred from the data, verified, printed or written."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from datasteward.cli.main import DEFAULT_CONFIG, ConfigOption, _parse_time, _project, app


class SuggestFormat(StrEnum):
    yaml = "yaml"
    json = "json"


@app.command()
def suggest(
    dataset: Annotated[str, typer.Argument(help="Dataset to suggest checks for.")],
    config: ConfigOption = DEFAULT_CONFIG,
    format: Annotated[
        SuggestFormat, typer.Option("--format", "-f", help="Output format.")
    ] = SuggestFormat.yaml,
    write: Annotated[
        bool,
        typer.Option("--write", help="Also add the checks to the dataset in the config file."),
    ] = False,
    backup: Annotated[
        bool,
        typer.Option(
            "--backup/--no-backup", help="With --write, keep the previous file as FILE.bak."
        ),
    ] = True,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Time freshness is judged at (ISO 8601), default now."),
    ] = None,
) -> None:
    """Print checks (YAML) inferred from the data that the current data passes."""
    from datasteward.services.suggest import suggest_checks, write_suggestions

    project = _project(config)
    report = suggest_checks(project, dataset, as_of=_parse_time(as_of, "--as-of"))
    update = write_suggestions(config, report, backup=backup) if write else None
    if format is SuggestFormat.json:
        document = report.to_json()
        document["written"] = str(update.path) if update and update.added else None
        document["backup"] = str(update.backup) if update and update.backup else None
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        sys.stdout.write(report.to_yaml())
    if update is not None and format is SuggestFormat.yaml:
        kept = f" (previous version: {update.backup})" if update.backup else ""
        count = len(report.suggestions)
        message = (
            f"added {count} check{'s' if count != 1 else ''} to {update.path}{kept}"
            if update.added
            else f"{update.path} unchanged: nothing to add"
        )
        sys.stderr.write(message + "\n")
