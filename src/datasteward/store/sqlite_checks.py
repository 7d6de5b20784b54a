"""Read a dataset's newest check results from a current SQLite store with ``sqlite3``.

``steward backup`` records the quality status of the newest scan in its manifest. Asking
through :class:`~datasteward.store.Store` imports SQLAlchemy (about 0.2 s of CPU, a third
of a small backup's whole process); for a SQLite file at the head revision the same rows
come from the standard library, in the same order (a test compares both answers).
Anything else returns None, and the caller asks the store.
"""

from __future__ import annotations

import sqlite3

from datasteward.store.sqlite_record import connect_current

__all__ = ["newest_check_results"]

# As Store.check_history orders them: newest run first, then most recently recorded first.
_NEWEST_RESULTS = """
SELECT check_results.run_id, check_results.severity, check_results.status
FROM check_results JOIN runs ON runs.run_id = check_results.run_id
WHERE check_results.dataset = ?
ORDER BY runs.as_of DESC, check_results.id DESC
LIMIT ?
"""


def newest_check_results(url: str, dataset: str, limit: int) -> list[tuple[str, str, str]] | None:
    """(run id, severity, status) of the dataset's newest ``limit`` check results, newest
    first; None when ``url`` is not a SQLite store at the head revision, or when reading it
    fails (the caller then asks through the store, which reports real problems)."""
    connection = connect_current(url)
    if connection is None:
        return None
    try:
        rows = connection.execute(_NEWEST_RESULTS, (dataset, limit)).fetchall()
    except sqlite3.Error:
        # Another process may be creating or migrating the store this very moment ("database
        # is locked" despite the busy timeout): the store itself waits for it properly.
        return None
    finally:
        connection.close()
    return [(str(run_id), str(severity), str(status)) for run_id, severity, status in rows]
