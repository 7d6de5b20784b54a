"""Timestamps as users type them on the command line."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["parse_timestamp"]


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 (``2026-01-05``, ``2026-01-05T06:00``, ``…Z``, ``…+02:00``) as aware UTC;
    a time without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"invalid timestamp {text!r}: use ISO 8601, e.g. 2026-01-05 or 2026-01-05T06:00:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
