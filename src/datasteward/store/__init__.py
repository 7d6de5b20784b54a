"""The metadata store: runs, check results and metric history (SQLite or PostgreSQL)."""

from datasteward.store.rows import CheckHistoryRow, MetricHistoryRow, RunRow
from datasteward.store.store import HEAD_REVISION, Store

__all__ = ["HEAD_REVISION", "CheckHistoryRow", "MetricHistoryRow", "RunRow", "Store"]
