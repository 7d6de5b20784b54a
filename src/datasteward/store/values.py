"""How the store writes values, without SQLAlchemy (shared with the sqlite3 recorder)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

__all__ = ["as_utc", "jsonable", "schema_fingerprint"]


def as_utc(moment: datetime) -> datetime:
    """A timestamp in UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def jsonable(value: Any) -> Any:
    """Turn a value read from any engine into plain JSON data, losing as little as possible.

    Datetimes become ISO 8601 strings, integral Decimals ints, other Decimals floats when
    that is exact and strings otherwise, bytes ``\\x``-prefixed hex (PostgreSQL's notation),
    and non-finite floats strings, because JSON has no NaN.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        # numpy scalars from dataframe engines; avoids importing numpy here.
        return jsonable(value.item())
    return str(value)


def _decimal(value: Decimal) -> int | float | str:
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else str(value)


def schema_fingerprint(columns: dict[str, str]) -> str:
    text = json.dumps(list(columns.items()), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
