"""A small project with a SQLite store, and a steward command run in a child process that
says whether it imported SQLAlchemy (the fast paths must not)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import datasteward.store

SRC = Path(datasteward.store.__file__).parents[2]

# Runs ``steward <argv[1:]>`` through ``run()`` and prints, last, whether SQLAlchemy was
# imported.
_COMMAND = """\
import sys
from datasteward.cli.main import run
sys.argv = ['steward', *sys.argv[1:]]
try:
    run()
except SystemExit:
    pass
print('sqlalchemy' in sys.modules, file=sys.stderr)
"""


def write_project(folder: Path, *, backups: bool = False) -> None:
    """``data.csv`` (id 2 twice) with a ``unique`` check, the store in ``steward.db``."""
    (folder / "data.csv").write_text("id\n1\n2\n2\n", encoding="utf-8")
    (folder / "steward.yml").write_text(
        "version: 1\n"
        "store: sqlite:///steward.db\n"
        + ("backups: {repository: repo}\n" if backups else "")
        + "sources: {files: {type: files, root: .}}\n"
        "datasets:\n"
        "  data: {source: files, path: data.csv, checks: [unique: id]}\n",
        encoding="utf-8",
    )


def imports_sqlalchemy(folder: Path, *argv: str) -> bool:
    """Run ``steward *argv`` in ``folder`` in a child process; whether it imported SQLAlchemy."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", _COMMAND, *argv], cwd=folder, env=env, capture_output=True, text=True
    )
    last = done.stderr.strip().splitlines()[-1]
    assert last in ("True", "False"), done.stderr
    return last == "True"
