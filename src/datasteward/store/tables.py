"""Tables of the metadata store (SQLAlchemy Core), mirrored by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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

from datasteward.store.values import as_utc, jsonable

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
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


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
