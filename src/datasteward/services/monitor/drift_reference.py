"""Reference distributions for drift checks, computed by DuckDB over a snapshot.

The snapshot is rebuilt once per scan in a scratch DuckDB; every drift check of the
dataset then reads its bins or frequencies from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datasteward.checks.drift import ReferenceDistribution
from datasteward.errors import CheckDefinitionError, StewardError

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.services.backup.scratch import Scratch

__all__ = ["ReferenceLoader"]

_TOP_CATEGORIES = 50


class ReferenceLoader:
    """Callable the scan service hands to drift checks; caches per snapshot and column."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._scratch: dict[str, Scratch] = {}
        self._cache: dict[tuple[str, str, bool, int], ReferenceDistribution] = {}

    def __call__(
        self, dataset: str, reference: str, column: str, numeric: bool, bins: int
    ) -> ReferenceDistribution:
        snapshot_id = self._snapshot_id(dataset, reference)
        key = (snapshot_id, column, numeric, bins)
        if key not in self._cache:
            scratch = self._materialized(snapshot_id)
            self._cache[key] = (
                _numeric(scratch, snapshot_id, column, bins)
                if numeric
                else _categorical(scratch, snapshot_id, column)
            )
        return self._cache[key]

    def _snapshot_id(self, dataset: str, reference: str) -> str:
        from datasteward.services.backup import open_repository, snapshot_by_reference

        try:
            repository = open_repository(self.project, create=False)
            return snapshot_by_reference(repository, dataset, reference).id
        except StewardError as error:
            raise CheckDefinitionError(f"no drift reference: {error}") from None

    def _materialized(self, snapshot_id: str) -> Scratch:
        from datasteward.services.backup.catalog import chain_of, open_repository
        from datasteward.services.backup.manifest import Manifest
        from datasteward.services.backup.scratch import Scratch

        if snapshot_id not in self._scratch:
            repository = open_repository(self.project, create=False)
            manifest = Manifest.from_dict(repository.read_manifest(snapshot_id))
            scratch = Scratch()
            scratch.materialize(repository, chain_of(repository, manifest), "reference")
            self._scratch[snapshot_id] = scratch
        return self._scratch[snapshot_id]

    def close(self) -> None:
        for scratch in self._scratch.values():
            scratch.close()
        self._scratch.clear()


def _column(scratch: Scratch, column: str) -> str:
    from datasteward.services.backup.fingerprint import quoted

    names = [row[0] for row in scratch.connection.execute("DESCRIBE reference").fetchall()]
    if column not in names:
        raise CheckDefinitionError(f"column {column!r} is not in the reference snapshot")
    return quoted(column)


def _numeric(scratch: Scratch, snapshot_id: str, column: str, bins: int) -> ReferenceDistribution:
    name = _column(scratch, column)
    fractions = ", ".join(str(i / bins) for i in range(1, bins))
    row = scratch.connection.execute(
        f"SELECT quantile_cont({name}::DOUBLE, [{fractions}]) FROM reference WHERE {name} IS NOT NULL"
    ).fetchall()[0]
    edges = sorted(set(float(e) for e in (row[0] or [])))
    if not edges:
        raise CheckDefinitionError(f"column {column!r} has no values in snapshot {snapshot_id}")
    below = ", ".join(f"count(*) FILTER (WHERE {name} < {edge!r})" for edge in edges)
    counts_row = scratch.connection.execute(
        f"SELECT count({name}), {below} FROM reference"
    ).fetchall()[0]
    total, cumulative = int(counts_row[0]), [int(c) for c in counts_row[1:]]
    bounds = [0, *cumulative, total]
    counts = [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]
    return ReferenceDistribution(snapshot_id, counts, edges=edges)


def _categorical(scratch: Scratch, snapshot_id: str, column: str) -> ReferenceDistribution:
    name = _column(scratch, column)
    rows = scratch.connection.execute(
        f"SELECT {name}, count(*) AS n FROM reference WHERE {name} IS NOT NULL "
        f"GROUP BY {name} ORDER BY n DESC, {name} LIMIT {_TOP_CATEGORIES}"
    ).fetchall()
    total = int(scratch.connection.execute(f"SELECT count({name}) FROM reference").fetchall()[0][0])
    counts = [int(n) for _, n in rows]
    return ReferenceDistribution(
        snapshot_id, [*counts, total - sum(counts)], categories=[v for v, _ in rows]
    )
