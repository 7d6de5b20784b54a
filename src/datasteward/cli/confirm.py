"""Confirmation before changing live data: asked on a terminal, ``--yes`` otherwise."""

from __future__ import annotations

import sys

import typer

from datasteward.errors import UsageError

__all__ = ["confirm_or_abort"]


def confirm_or_abort(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"{question} — refusing without confirmation", hint="pass --yes")
    if not typer.confirm(question, default=False):
        raise UsageError("cancelled, nothing was changed")
