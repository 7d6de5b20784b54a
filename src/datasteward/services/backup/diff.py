"""``steward diff``: what changed between two snapshots, or a snapshot and the live data.

Both sides are loaded into a scratch DuckDB (snapshots rebuilt from their chunks, live
data streamed from its engine) and compared there with joins: nothing is compared row by
row in Python. With a unique ``key`` rows are matched by key (added, removed, changed per
column); otherwise the two sides are compared as multisets of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from datasteward.services.backup.catalog import chain_of, open_repository
from datasteward.services.backup.fingerprint import quoted
from datasteward.services.backup.scratch import H1, H2, Scratch, identity_sql
from datasteward.services.json_values import jsonable
from datasteward.services.sources import SourcePool

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.services.backup.manifest import Manifest

__all__ = ["DiffResult", "diff_dataset"]


@dataclass(frozen=True)
class DiffResult:
    dataset: str
    before: str  # snapshot id
    after: str  # snapshot id or "current"
    mode: str  # "key" or "rows"
    added: int
    removed: int
    changed: int
    unchanged: int
    columns_changed: dict[str, int]
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "from": self.before,
            "to": self.after,
            "mode": self.mode,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "columns_changed": self.columns_changed,
            "columns_added": self.columns_added,
            "columns_removed": self.columns_removed,
            "samples": self.samples,
        }


def diff_dataset(
    project: Project,
    before: Manifest,
    after: Manifest | None = None,
    *,
    samples: int = 5,
) -> DiffResult:
    """Compare snapshot ``before`` with snapshot ``after`` (default: the current data)."""
    repository = open_repository(project, create=False)
    key = list(project.datasets[before.dataset].key)
    with Scratch() as scratch:
        scratch.materialize(repository, chain_of(repository, before), "before_rows")
        if after is not None:
            scratch.materialize(repository, chain_of(repository, after), "after_rows")
        else:
            with SourcePool(project) as pool:
                ref = pool.dataset(before.dataset)
                reader = ref.engine.stream(exp.select("*").from_(ref.relation.copy()))
                scratch.load("after_rows", reader.schema, reader)
        comparison = _Comparison(scratch, key, samples)
        return comparison.run(before.dataset, before.id, after.id if after else "current")


class _Comparison:
    def __init__(self, scratch: Scratch, key: list[str], samples: int) -> None:
        self.sql = scratch.connection
        self.key = key
        self.samples = samples

    def _columns(self, table: str) -> list[str]:
        return [row[0] for row in self.sql.execute(f"DESCRIBE {table}").fetchall()]

    def _scalar(self, query: str) -> int:
        rows = self.sql.execute(query).fetchall()
        return int(rows[0][0] or 0) if rows else 0

    def _rows(self, query: str) -> list[dict[str, Any]]:
        result = self.sql.execute(query)
        names = [d[0] for d in result.description or []]
        return [jsonable(dict(zip(names, row, strict=True))) for row in result.fetchall()]

    def run(self, dataset: str, before: str, after: str) -> DiffResult:
        before_columns, after_columns = self._columns("before_rows"), self._columns("after_rows")
        common = [c for c in before_columns if c in after_columns]
        added_columns = [c for c in after_columns if c not in before_columns]
        removed_columns = [c for c in before_columns if c not in after_columns]
        keyed = bool(self.key) and all(k in common for k in self.key) and self._key_unique()
        result = self._by_key(common) if keyed else self._by_rows(common)
        return DiffResult(
            dataset,
            before,
            after,
            columns_added=added_columns,
            columns_removed=removed_columns,
            **result,
        )

    def _key_unique(self) -> bool:
        keys = ", ".join(quoted(k) for k in self.key)
        duplicates = " + ".join(
            f"(SELECT count(*) FROM (SELECT {keys} FROM {t} GROUP BY {keys} HAVING count(*) > 1))"
            for t in ("before_rows", "after_rows")
        )
        return self._scalar(f"SELECT {duplicates}") == 0

    def _by_key(self, common: list[str]) -> dict[str, Any]:
        join = " AND ".join(f"b.{quoted(k)} = a.{quoted(k)}" for k in self.key)
        values = [c for c in common if c not in self.key]
        differs = (
            " OR ".join(f"b.{quoted(c)} IS DISTINCT FROM a.{quoted(c)}" for c in values) or "false"
        )
        limit = int(self.samples)
        added = self._scalar(
            f"SELECT count(*) FROM after_rows a WHERE NOT EXISTS (SELECT 1 FROM before_rows b WHERE {join})"
        )
        removed = self._scalar(
            f"SELECT count(*) FROM before_rows b WHERE NOT EXISTS (SELECT 1 FROM after_rows a WHERE {join})"
        )
        per_column = ", ".join(
            f"count(*) FILTER (WHERE b.{quoted(c)} IS DISTINCT FROM a.{quoted(c)})" for c in values
        )
        counts = self.sql.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {differs}){', ' + per_column if per_column else ''} "
            f"FROM before_rows b JOIN after_rows a ON {join}"
        ).fetchall()[0]
        matched, changed = int(counts[0]), int(counts[1])
        columns_changed = {c: int(n) for c, n in zip(values, counts[2:], strict=True) if n}
        key_list = ", ".join(f"b.{quoted(k)}" for k in self.key)
        changed_samples = (
            self._rows(
                f"SELECT {key_list}, "
                + ", ".join(
                    f"b.{quoted(c)} AS {quoted('before.' + c)}, a.{quoted(c)} AS {quoted('after.' + c)}"
                    for c in values
                )
                + f" FROM before_rows b JOIN after_rows a ON {join} WHERE {differs} ORDER BY {key_list} LIMIT {limit}"
            )
            if values
            else []
        )
        order = ", ".join(quoted(k) for k in self.key)
        return {
            "mode": "key",
            "added": added,
            "removed": removed,
            "changed": changed,
            "unchanged": matched - changed,
            "columns_changed": columns_changed,
            "samples": {
                "added": self._rows(
                    f"SELECT * FROM after_rows a WHERE NOT EXISTS (SELECT 1 FROM before_rows b WHERE {join}) ORDER BY {order} LIMIT {limit}"
                ),
                "removed": self._rows(
                    f"SELECT * FROM before_rows b WHERE NOT EXISTS (SELECT 1 FROM after_rows a WHERE {join}) ORDER BY {order} LIMIT {limit}"
                ),
                "changed": [_nest(row, self.key) for row in changed_samples],
            },
        }

    def _by_rows(self, common: list[str]) -> dict[str, Any]:
        select = ", ".join(quoted(c) for c in common)
        for side in ("before", "after"):
            self.sql.execute(
                f"CREATE OR REPLACE TABLE {side}_counts AS SELECT {H1}, {H2}, count(*) AS n "
                f"FROM (SELECT {identity_sql(common)} FROM (SELECT {select} FROM {side}_rows)) "
                f"GROUP BY {H1}, {H2}"
            )
        totals = self.sql.execute(
            f"SELECT coalesce(sum(greatest(coalesce(a.n, 0) - coalesce(b.n, 0), 0)), 0),"
            f" coalesce(sum(greatest(coalesce(b.n, 0) - coalesce(a.n, 0), 0)), 0),"
            f" coalesce(sum(least(coalesce(a.n, 0), coalesce(b.n, 0))), 0)"
            f" FROM before_counts b FULL JOIN after_counts a USING ({H1}, {H2})"
        ).fetchall()[0]
        limit = int(self.samples)

        def sample(source: str, other: str) -> list[dict[str, Any]]:
            return self._rows(
                f"SELECT {select} FROM (SELECT {identity_sql(common)}, * FROM (SELECT {select} FROM {source}_rows)) s "
                f"WHERE ({H1}, {H2}) IN (SELECT x.{H1}, x.{H2} FROM {source}_counts x LEFT JOIN {other}_counts y "
                f"USING ({H1}, {H2}) WHERE x.n > coalesce(y.n, 0)) LIMIT {limit}"
            )

        return {
            "mode": "rows",
            "added": int(totals[0]),
            "removed": int(totals[1]),
            "changed": 0,
            "unchanged": int(totals[2]),
            "columns_changed": {},
            "samples": {
                "added": sample("after", "before"),
                "removed": sample("before", "after"),
                "changed": [],
            },
        }


def _nest(row: dict[str, Any], key: list[str]) -> dict[str, Any]:
    """``{key…, "before": {col: v}, "after": {col: v}}`` with only the columns that differ."""
    nested: dict[str, Any] = {k: row[k] for k in key}
    before = {name[len("before.") :]: v for name, v in row.items() if name.startswith("before.")}
    after = {name[len("after.") :]: v for name, v in row.items() if name.startswith("after.")}
    changed = [c for c in before if before[c] != after.get(c)]
    nested["before"] = {c: before[c] for c in changed}
    nested["after"] = {c: after[c] for c in changed}
    return nested
