"""A project folder around one source: ``steward.yml``, its live data, and ways to run
Steward on it (the ``steward`` command in another process or in this one, and the backup
services directly)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlglot import exp

from datasteward.config import Project, load_project
from datasteward.services.backup import (
    Manifest,
    RestoreResult,
    backup_dataset,
    open_repository,
    restore_snapshot,
    snapshots,
)
from datasteward.services.sources import SourcePool

from .sources import Live

PASSPHRASE_ENV = "STEWARD_TEST_BACKUP_PASSPHRASE"
PASSPHRASE = "correct horse battery staple"


# -- the project around a source -----------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What one ``steward`` process did."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def error_line(self) -> str:
        """The one line a user error prints; fails unless there is exactly one."""
        assert "Traceback" not in self.stderr, self.describe()
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected exactly one line on stderr\n{self.describe()}"
        assert lines[0].startswith("error: "), self.describe()
        return lines[0]

    def describe(self) -> str:
        return (
            f"$ steward {' '.join(self.args)}\nexit code {self.returncode}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


def steward_command() -> list[str]:
    script = Path(sys.executable).with_name("steward")
    return [str(script)] if script.exists() else [sys.executable, "-m", "datasteward.cli.main"]


class Workspace:
    """A project folder: ``steward.yml``, its live data, and ways to run Steward on it."""

    def __init__(self, folder: Path, live: Live) -> None:
        self.folder = folder
        self.live = live
        self.env: dict[str, str] = {}
        self.datasets: dict[str, dict[str, Any]] = {}
        self.backups: dict[str, Any] = {"repository": str(folder / "repo")}
        self.configure(["orders", "restored"])

    # -- configuration ---------------------------------------------------------------------
    def configure(
        self,
        names: list[str],
        *,
        keys: dict[str, list[str]] | None = None,
        checks: dict[str, list[Any]] | None = None,
        backups: dict[str, Any] | None = None,
    ) -> None:
        """Write ``steward.yml`` (JSON is YAML) with one dataset per name."""
        keys = {"orders": ["id"]} if keys is None else keys
        self.datasets = {}
        for name in names:
            entry = self.live.dataset(name)
            if keys.get(name):
                entry["key"] = keys[name]
            if checks and checks.get(name):
                entry["checks"] = checks[name]
            self.datasets[name] = entry
        if backups is not None:
            self.backups = {"repository": str(self.folder / "repo"), **backups}
        config = {
            "version": 1,
            "store": f"sqlite:///{self.folder / 'store.db'}",
            "backups": self.backups,
            "sources": {"src": self.live.source()},
            "datasets": self.datasets,
        }
        self.config.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    def encrypt(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Configure an encrypted repository and export its passphrase (here and for
        subprocesses); the repository is created now, with the cheap test KDF."""
        self.backups = {**self.backups, "encryption": {"passphrase_env": PASSPHRASE_ENV}}
        self.configure(list(self.datasets), keys=self._keys())
        self.env[PASSPHRASE_ENV] = PASSPHRASE
        monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
        assert open_repository(self.project).encrypted

    def _keys(self) -> dict[str, list[str]]:
        return {name: entry.get("key", []) for name, entry in self.datasets.items()}

    @property
    def config(self) -> Path:
        return self.folder / "steward.yml"

    @property
    def project(self) -> Project:
        return load_project(self.config)

    @property
    def repository(self) -> Path:
        return Path(self.backups["repository"])

    # -- data ------------------------------------------------------------------------------
    def put(self, table: pa.Table, name: str = "orders") -> None:
        self.live.put(name, table)

    def read(self, name: str = "orders") -> pa.Table:
        """The dataset's rows as Steward's engine reads them: what a snapshot holds."""
        with SourcePool(self.project) as pool:
            ref = pool.dataset(name)
            return ref.engine.stream(exp.select("*").from_(ref.relation.copy())).read_all()

    # -- services, in this process ---------------------------------------------------------
    def backup(self, name: str = "orders", **options: Any) -> Manifest:
        return backup_dataset(self.project, name, **options)

    def restore(self, manifest: Manifest, **target: Any) -> RestoreResult:
        return restore_snapshot(self.project, manifest, **target)

    def snapshots(self, name: str | None = "orders") -> list[Manifest]:
        return snapshots(open_repository(self.project, create=False), name)

    # -- the command, in another process ---------------------------------------------------
    def environment(self, env: dict[str, str | None] | None) -> dict[str, str]:
        """The variables of a user's shell; ``None`` in ``env`` unsets one."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
        environment.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
        environment.update(self.env)
        for name, value in (env or {}).items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        return environment

    def steward(
        self, *args: str | os.PathLike[str], env: dict[str, str | None] | None = None
    ) -> Result:
        """Run ``steward ARGS`` as a user would: a fresh process without a terminal."""
        texts = tuple(str(a) for a in args)
        completed = subprocess.run(
            [*steward_command(), *texts, "-c", str(self.config)],
            cwd=self.folder,
            env=self.environment(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Result(texts, completed.returncode, completed.stdout, completed.stderr)

    def cli(
        self, *args: str | os.PathLike[str], env: dict[str, str | None] | None = None
    ) -> Result:
        """Run the ``steward`` entry point in this process: the same typer app and error
        handling as the command, without the start-up cost. stdin is not a terminal."""
        from datasteward.cli.main import run

        texts = tuple(str(a) for a in args)
        stdout, stderr = io.StringIO(), io.StringIO()
        saved_environ, saved_argv, saved_stdin = dict(os.environ), sys.argv, sys.stdin
        os.environ.clear()
        os.environ.update(self.environment(env))
        sys.argv = ["steward", *texts, "-c", str(self.config)]
        sys.stdin = io.StringIO()
        code: int | str | None = 0
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                run()
        except SystemExit as exit:
            code = exit.code
        finally:
            os.environ.clear()
            os.environ.update(saved_environ)
            sys.argv, sys.stdin = saved_argv, saved_stdin
        returncode = code if isinstance(code, int) else (0 if code is None else 1)
        return Result(texts, returncode, stdout.getvalue(), stderr.getvalue())

    def start(self, *args: str | os.PathLike[str]) -> subprocess.Popen[str]:
        """Start ``steward ARGS`` without waiting (to kill it, or to race another)."""
        return subprocess.Popen(
            [*steward_command(), *(str(a) for a in args), "-c", str(self.config)],
            cwd=self.folder,
            env=self.environment(None),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
