"""The audit log of data changes: who changed which dataset how, and how to undo it.

Every change that ``steward fix`` (or ``steward undo``) applies is one row: the snapshot
taken just before it, how many rows it touched, and the fingerprint of the data right
after it, so an undo can tell whether the data changed again since.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    select,
    update,
)

from datasteward.store.tables import SafeJSON, UtcDateTime, metadata

__all__ = ["ChangeLog", "ChangeRow", "changes"]

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
_ID = BigInteger().with_variant(Integer(), "sqlite")

changes = Table(
    "changes",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("user_name", String(), nullable=False),
    Column("dataset", String(), nullable=False),
    Column("action", Text(), nullable=False),
    Column("rows_affected", BigInteger(), nullable=False),
    Column("snapshot_id", String(), nullable=True),
    # Of the data right after the change: an undo refuses when the data no longer has it.
    Column("fingerprint", String(), nullable=True),
    Column("undone", Boolean(), nullable=False),
    # For an undo: the change it undid.
    Column("undoes", BigInteger(), nullable=True),
    Column("details", SafeJSON(), nullable=False),
    Index(None, "dataset", "id"),
)


@dataclass(frozen=True)
class ChangeRow:
    """One recorded change."""

    id: int
    at: datetime
    user: str
    dataset: str
    action: str
    rows_affected: int
    snapshot_id: str | None
    undone: bool = False
    fingerprint: str | None = None
    undoes: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``steward changes --format json`` entry (DESIGN.md section 4)."""
        return {
            "id": self.id,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "user": self.user,
            "dataset": self.dataset,
            "action": self.action,
            "rows_affected": self.rows_affected,
            "snapshot_id": self.snapshot_id,
            "undone": self.undone,
        }


Connect = Callable[[], AbstractContextManager[Connection]]


class ChangeLog:
    """Reads and writes the ``changes`` table through the store's connections."""

    def __init__(self, connect: Connect, begin: Connect) -> None:
        self._connect = connect
        self._begin = begin

    def record(
        self,
        *,
        at: datetime,
        user: str,
        dataset: str,
        action: str,
        rows_affected: int,
        snapshot_id: str | None,
        fingerprint: str | None,
        undoes: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> ChangeRow:
        """Append a change; for an undo, mark the change it undid (one transaction)."""
        values = {
            "at": at,
            "user_name": user,
            "dataset": dataset,
            "action": action,
            "rows_affected": rows_affected,
            "snapshot_id": snapshot_id,
            "fingerprint": fingerprint,
            "undone": False,
            "undoes": undoes,
            "details": details or {},
        }
        with self._begin() as conn:
            inserted = conn.execute(changes.insert().values(values)).inserted_primary_key
            assert inserted is not None
            new_id = inserted[0]
            if undoes is not None:
                _mark_undone(conn, undoes)
        found = self.get(int(new_id))
        assert found is not None
        return found

    def get(self, change_id: int) -> ChangeRow | None:
        with self._connect() as conn:
            row = conn.execute(select(changes).where(changes.c.id == change_id)).mappings().first()
        return None if row is None else _change_row(row)

    def recent(self, dataset: str | None = None, limit: int = 100) -> list[ChangeRow]:
        """Changes (of one dataset when given), newest first."""
        query = select(changes).order_by(changes.c.id.desc()).limit(max(limit, 0))
        if dataset is not None:
            query = query.where(changes.c.dataset == dataset)
        with self._connect() as conn:
            return [_change_row(row) for row in conn.execute(query).mappings()]

    def later(self, change: ChangeRow) -> list[ChangeRow]:
        """Changes of the same dataset recorded after ``change`` and not undone, oldest first."""
        query = (
            select(changes)
            .where(changes.c.dataset == change.dataset)
            .where(changes.c.id > change.id)
            .where(changes.c.undone.is_(False))
            .order_by(changes.c.id)
        )
        with self._connect() as conn:
            return [_change_row(row) for row in conn.execute(query).mappings()]


def _mark_undone(conn: Connection, change_id: int) -> None:
    conn.execute(update(changes).where(changes.c.id == change_id).values(undone=True))
    # Undoing an undo puts its change back: that change is no longer undone.
    undid = conn.execute(select(changes.c.undoes).where(changes.c.id == change_id)).scalar()
    if undid is not None:
        conn.execute(update(changes).where(changes.c.id == undid).values(undone=False))


def _change_row(row: Any) -> ChangeRow:
    return ChangeRow(
        id=int(row["id"]),
        at=row["at"],
        user=row["user_name"],
        dataset=row["dataset"],
        action=row["action"],
        rows_affected=int(row["rows_affected"]),
        snapshot_id=row["snapshot_id"],
        undone=bool(row["undone"]),
        fingerprint=row["fingerprint"],
        undoes=None if row["undoes"] is None else int(row["undoes"]),
        details=dict(row["details"] or {}),
    )
