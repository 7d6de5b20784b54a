"""Where a scan's run is recorded: the store, opened only when needed.

A scan that needs nothing from the store but recording its run, into a SQLite store that
is already current, writes with ``sqlite3`` and never imports SQLAlchemy (see
:mod:`datasteward.store.sqlite_record`); otherwise the store is imported on a thread while
the engine scans, and opened on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datasteward.model import CheckStatus, Run

if TYPE_CHECKING:
    from datasteward.checks.base import Check
    from datasteward.config.models import Project
    from datasteward.store import Store
    from datasteward.store.monitoring import MonitorLog
    from datasteward.store.sqlite_record import SQLiteRecorder

__all__ = ["LazyStore", "quick_recorder", "record_run", "warm_up_store_imports"]


def quick_recorder(project: Project, checks: dict[str, list[Check]]) -> SQLiteRecorder | None:
    """A sqlite3 recorder when the run needs nothing but recording (no history, no alerts)
    and the store is a current SQLite file: the scan then never imports SQLAlchemy."""
    if project.alerts or any(c.definition.needs_history for f in checks.values() for c in f):
        return None
    from datasteward.store.sqlite_record import open_current

    return open_current(project.store_url())


def warm_up_store_imports() -> None:
    """Import the store (SQLAlchemy: ~0.1 s) on a thread while the engine scans.

    Engines release the GIL while they work, so the import is hidden behind the query
    instead of adding to every scan's wall time.
    """
    import threading

    def load() -> None:
        import datasteward.store  # noqa: F401

    threading.Thread(target=load, name="steward-store-import", daemon=True).start()


class LazyStore:
    """Opens the store on first use: scans without history checks never wait for it."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._store: Store | None = None

    def get(self) -> Store:
        if self._store is None:
            from datasteward.store import Store

            self._store = Store.open(self.project.store_url())
        return self._store

    def monitoring(self) -> MonitorLog:
        return self.get().monitoring

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def record_run(project: Project, run: Run, store: Store) -> None:
    """Store the run, its schemas and flag the metric points anomaly checks rejected."""
    store.record_run(run)
    for dataset in run.datasets:
        if dataset.columns:
            store.monitoring.record_schema(dataset.dataset, run.run_id, run.as_of, dataset.columns)
        for check in dataset.checks:
            if check.type == "anomaly" and check.status in (CheckStatus.FAIL, CheckStatus.WARN):
                observed = check.observed if isinstance(check.observed, dict) else {}
                store.monitoring.flag(
                    dataset.dataset,
                    str(observed.get("metric")),
                    check.column,
                    run.run_id,
                    run.as_of,
                )
    if project.alerts:
        # Imported here: projects without alerts never pay for it. Never raises.
        from datasteward.services.alerts import notify_after_scan

        notify_after_scan(project, run, store)
