"""Durations as users write them: ``90s``, ``15m``, ``24h``, ``7d``, ``2w``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str) -> timedelta:
    """Parse ``24h`` into a timedelta; raises ValueError with the accepted forms."""
    match = _PATTERN.match(str(text))
    if not match:
        raise ValueError(
            f"invalid duration {text!r}: write a number and a unit, e.g. 90s, 15m, 24h, 7d"
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def format_duration(delta: timedelta) -> str:
    """A short human form: ``3h 12m``, ``2d 4h``, ``45s``."""
    seconds = int(abs(delta.total_seconds()))
    sign = "-" if delta.total_seconds() < 0 else ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    text = " ".join(p for p in parts if p)[:7].strip() or f"{secs}s"
    return sign + text
