"""Tables of the metadata store (SQLAlchemy Core), mirrored by the Alembic migrations."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.types import TypeEngine

__all__ = ["SafeJSON", "UtcDateTime", "check_results", "jsonable", "metadata", "metrics", "runs"]

# Explicit names keep constraints addressable by later migrations on every dialect.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored and returned in UTC on every backend.

    SQLite keeps no offset, so values are converted to UTC before they are written and
    read back as UTC; naive datetimes are taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class SafeJSON(TypeDecorator[Any]):
    """JSON that accepts any value a check may observe (datetimes, Decimals, bytes, …)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # JSONB can be indexed and queried later; plain JSON elsewhere.
        if dialect.name == "postgresql":
            # Imported here: the PostgreSQL dialect is loaded by then, and SQLite-only
            # processes should not pay for importing it.
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return jsonable(value)


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


# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
_Id = BigInteger().with_variant(Integer(), "sqlite")

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(), primary_key=True),
    Column("as_of", UtcDateTime(), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=False),
    Column("summary", SafeJSON(), nullable=False),
    Index(None, "as_of"),
)

check_results = Table(
    "check_results",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("run_id", String(), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("dataset", String(), nullable=False),
    Column("name", String(), nullable=False),
    Column("type", String(), nullable=False),
    Column("column", String(), nullable=True),
    Column("status", String(), nullable=False),
    Column("severity", String(), nullable=False),
    Column("observed", SafeJSON(), nullable=True),
    Column("failed_rows", BigInteger(), nullable=True),
    Column("message", Text(), nullable=False),
    Column("samples", SafeJSON(), nullable=False),
    Index(None, "dataset", "name"),
    Index(None, "run_id"),
)

metrics = Table(
    "metrics",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("run_id", String(), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("dataset", String(), nullable=False),
    Column("name", String(), nullable=False),
    Column("column", String(), nullable=True),
    Column("value", Double(), nullable=True),
    Column("as_of", UtcDateTime(), nullable=False),
    Index(None, "dataset", "name", "column", "as_of"),
    Index(None, "run_id"),
)
