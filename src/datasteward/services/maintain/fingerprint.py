"""The fingerprint of a dataset's live data, taken right after each change.

The same order-independent fingerprint snapshots carry (row count and hash sum, computed
by DuckDB over the engine's Arrow stream): an undo compares it with the data's current
one to tell whether anything changed the dataset since.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from datasteward.services.backup.fingerprint import Fingerprint, hashed_stream

if TYPE_CHECKING:
    from datasteward.engines.base import Engine

__all__ = ["data_fingerprint"]


def data_fingerprint(engine: Engine, relation: exp.Expr) -> str:
    fingerprint = Fingerprint()
    try:
        for _ in hashed_stream(engine, relation, fingerprint).batches():
            pass
    finally:
        fingerprint.close()
    return fingerprint.value
