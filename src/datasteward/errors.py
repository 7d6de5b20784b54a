"""Errors that users cause, and the exit codes the CLI maps them to.

::

    StewardError                  base: a message, an optional hint, an exit code
    ├── ConfigError               steward.yml is wrong (file:line:col)          → 2
    ├── UsageError                a command was called wrongly                  → 2
    ├── CheckDefinitionError      one check is wrong (bad SQL, unknown column)  → reported as status "error"
    └── SourceError               a source is unreachable or a file is missing  → 3

Only the CLI turns these into one line and an exit code; nothing else catches broad
``Exception``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import IntEnum

__all__ = [
    "CheckDefinitionError",
    "ConfigError",
    "ExitCode",
    "SourceError",
    "StewardError",
    "UsageError",
    "did_you_mean",
]


class ExitCode(IntEnum):
    """Exit codes of every ``steward`` command (documented in the README)."""

    OK = 0
    CHECKS_FAILED = 1
    USAGE = 2
    RUNTIME = 3


class StewardError(Exception):
    """A problem the user can fix; carries a hint and the exit code to use."""

    exit_code: ExitCode = ExitCode.RUNTIME

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(StewardError):
    """The configuration file is malformed or inconsistent."""

    exit_code = ExitCode.USAGE

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return where + super().__str__()


class UsageError(StewardError):
    """A command was given arguments that cannot work."""

    exit_code = ExitCode.USAGE


class CheckDefinitionError(StewardError):
    """One check cannot run as written; the scan reports it with status ``error``."""

    exit_code = ExitCode.USAGE


class SourceError(StewardError):
    """A source cannot be reached or read."""

    exit_code = ExitCode.RUNTIME


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return a 'did you mean X?' hint for the closest choice, if any is close."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        lowered = {o.lower(): o for o in options}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f"did you mean {close[0]!r}?" if close else None
