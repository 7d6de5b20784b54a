"""The metadata store: runs, check results and metric history (SQLite or PostgreSQL).

Names are imported on first use: ``datasteward.store.sqlite_record`` (the scan's way to
record into a current SQLite store) must not pay for SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datasteward.store.revision import HEAD_REVISION

if TYPE_CHECKING:
    from datasteward.store.rows import CheckHistoryRow, MetricHistoryRow, RunRow
    from datasteward.store.store import Store

__all__ = ["HEAD_REVISION", "CheckHistoryRow", "MetricHistoryRow", "RunRow", "Store"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from datasteward.store.store import Store

        return Store
    if name in {"CheckHistoryRow", "MetricHistoryRow", "RunRow"}:
        from datasteward.store import rows

        return getattr(rows, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
