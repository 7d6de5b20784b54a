"""Running a benchmark's contenders as child processes and reading what they cost.

Shared by the ``*_bench.py`` scripts next to this file (they run as ``python bench/x.py``,
so this folder is on ``sys.path``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Spawns argv[2:], waits for it and writes its wall time, CPU time (user + system, all
# threads), peak RSS in KiB and exit code to argv[1]. A small launcher of its own, because
# a child's ru_maxrss starts at the size of the process that spawned it, and a benchmark's
# own process grows (DuckDB, psycopg) while it prepares data.
LAUNCHER = """\
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    cpu = usage.ru_utime + usage.ru_stime
    out.write(f"{seconds} {cpu} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


@dataclass(frozen=True)
class Sample:
    """One measured run of a child process."""

    seconds: float
    cpu_seconds: float
    peak_bytes: int
    exit_code: int
    stdout: str
    stderr: str


def measure(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run ``argv`` to completion under the launcher: times, peak RSS, exit code, output."""
    report = cwd / "measure.txt"
    with tempfile.TemporaryFile(dir=cwd) as out, tempfile.TemporaryFile(dir=cwd) as err:
        launcher = [sys.executable, "-c", LAUNCHER, str(report), *argv]
        subprocess.run(launcher, cwd=cwd, stdout=out, stderr=err, env=env, check=True)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    seconds, cpu, rss_kib, code = report.read_text().split()
    report.unlink()
    return Sample(float(seconds), float(cpu), int(rss_kib) * 1024, int(code), stdout, stderr)


def steward_command() -> str:
    """The ``steward`` script of this interpreter's environment (else the one on PATH)."""
    beside = Path(sys.executable).with_name("steward")
    found = str(beside) if beside.exists() else shutil.which("steward")
    if found is None:
        sys.exit("steward is installed neither next to this python nor on PATH")
    return found


# The libraries DESIGN.md section 7 has Steward use, imported as a command's start-up
# imports them (sqlglot with the engine's dialect, pydantic building a model, the YAML
# loader, the CLI framework, pyarrow where data moves). Prefixed to a baseline script it
# makes the "stack floor": the baseline's own work plus only the imports no Steward built
# on that stack can avoid, with Steward's exit (no interpreter teardown).
STACK_IMPORTS = """\
import sqlglot, sqlglot.generators.{dialect}, ruamel.yaml, typer, pydantic
{pyarrow}
class _Model(pydantic.BaseModel):
    value: int = 0


_Model()
"""
EXIT_WITHOUT_TEARDOWN = """
import os as _os, sys as _sys
_sys.stdout.flush()
_os._exit(0)
"""


def stack_floor(baseline: str, dialect: str, *, pyarrow: bool = False) -> str:
    """``baseline`` (a script's text) with Steward's unavoidable imports and exit."""
    imports = STACK_IMPORTS.format(dialect=dialect, pyarrow="import pyarrow" if pyarrow else "")
    return imports + baseline + EXIT_WITHOUT_TEARDOWN


def byte_compile_steward() -> None:
    """Write the bytecode of the ``datasteward`` package the ``steward`` command imports.

    A wheel install compiles it (pip does by default); an editable install writes it on
    first import, unless ``PYTHONDONTWRITEBYTECODE`` is set, as it is on the machines these
    benchmarks ran on: every ``steward`` process would then compile some 50 modules from
    source (0.03-0.05 s) that no installed copy compiles. ``py_compile`` writes regardless.
    """
    import compileall

    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import datasteward, os; print(os.path.dirname(datasteward.__file__))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    compileall.compile_dir(found.stdout.strip(), quiet=1)
