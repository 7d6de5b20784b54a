"""Fixtures for driving the real ``steward`` command in subprocesses.

Golden files live in ``tests/cli/golden``; regenerate them after an intended change with::

    STEWARD_UPDATE_GOLDEN=1 pytest tests/cli
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("STEWARD_UPDATE_GOLDEN") == "1"


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
        """The one line a user error prints; fails the test unless there is exactly one."""
        lines = self.stderr.splitlines()
        assert "Traceback" not in self.stderr, self.describe()
        assert len(lines) == 1, f"expected exactly one line on stderr\n{self.describe()}"
        return lines[0]

    def describe(self) -> str:
        return (
            f"$ steward {' '.join(self.args)}\nexit code {self.returncode}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


Steward = Callable[..., Result]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("steward")
    return [str(script)] if script.exists() else [sys.executable, "-m", "datasteward.cli.main"]


def run_steward(
    *args: str | os.PathLike[str], cwd: Path, env: dict[str, str] | None = None
) -> Result:
    """Run ``steward ARGS`` as a user would: a fresh process, no terminal, wide tables."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    environment.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    environment.update(env or {})
    texts = tuple(str(a) for a in args)
    completed = subprocess.run(
        [*_command(), *texts],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Result(texts, completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture(scope="session")
def run() -> Callable[..., Result]:
    """``run(*args, cwd=DIR, env=None)``: for module-scoped fixtures that run steward."""
    return run_steward


@pytest.fixture
def steward(tmp_path: Path) -> Steward:
    """``steward(*args, cwd=tmp_path, env=None)`` → :class:`Result`."""

    def call(*args: str | os.PathLike[str], cwd: Path | None = None, **kw: Any) -> Result:
        return run_steward(*args, cwd=cwd or tmp_path, **kw)

    return call


@pytest.fixture(scope="session")
def golden() -> Callable[[str, Any], None]:
    """``golden(NAME, value)`` compares ``value`` with ``golden/NAME``."""
    return assert_golden


@pytest.fixture(scope="session")
def shop() -> Callable[..., Path]:
    """``shop(folder, checks, name="steward.yml")`` writes a small project (see SHOP_CSV)."""
    return write_config


def assert_golden(name: str, actual: Any) -> None:
    """Compare ``actual`` with ``golden/NAME`` (JSON); rewrite it when updating goldens."""
    path = GOLDEN / name
    text = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with STEWARD_UPDATE_GOLDEN=1 to create it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, (
        f"{name} differs from the golden file; if the change is intended, "
        "regenerate with STEWARD_UPDATE_GOLDEN=1"
    )


# -- small hand-written projects --------------------------------------------------------

SHOP_CSV = """\
id,status,amount,ts
1,new,10.5,2026-01-04 12:00:00
2,paid,20.0,2026-01-04 11:00:00
3,bogus,30.0,2026-01-03 10:00:00
4,new,-5.0,2026-01-02 09:00:00
"""


def write_config(folder: Path, checks: Sequence[str], *, name: str = "steward.yml") -> Path:
    """A project over ``data/orders.csv`` (see :data:`SHOP_CSV`) with the given checks."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    data.mkdir(exist_ok=True)
    (data / "orders.csv").write_text(SHOP_CSV, encoding="utf-8")
    lines = [
        "version: 1",
        "sources:",
        "  lake: {type: files, root: data}",
        "datasets:",
        "  orders:",
        "    source: lake",
        "    path: orders.csv",
        "    checks:",
        *(f"      - {check}" for check in checks),
    ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
