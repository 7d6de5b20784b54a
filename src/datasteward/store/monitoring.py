"""Monitoring state: metric points flagged as incidents (or accepted), schema snapshots.

Anomaly baselines leave out incident points unless a user accepted them as expected, so
one bad day does not blind the detector for the weeks after it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    and_,
    delete,
    select,
)

from datasteward.store.tables import SafeJSON, UtcDateTime, metadata, metrics
from datasteward.store.values import schema_fingerprint

__all__ = ["MonitorLog", "SchemaSnapshot", "metric_flags", "schema_snapshots"]

_ID = BigInteger().with_variant(Integer(), "sqlite")
INCIDENT, ACCEPTED = "incident", "accepted"

metric_flags = Table(
    "metric_flags",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("dataset", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("column", String(255), nullable=True),
    Column("as_of", UtcDateTime(), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("flagged_at", UtcDateTime(), nullable=False),
    Index(None, "dataset", "name", "as_of"),
)

schema_snapshots = Table(
    "schema_snapshots",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("dataset", String(255), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("as_of", UtcDateTime(), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("columns", SafeJSON(), nullable=False),
    Index(None, "dataset", "as_of"),
)


@dataclass(frozen=True)
class SchemaSnapshot:
    dataset: str
    run_id: str
    as_of: datetime
    fingerprint: str
    columns: dict[str, str]


Connector = Callable[[], AbstractContextManager[Connection]]


class MonitorLog:
    def __init__(self, connect: Connector, begin: Connector) -> None:
        self._connect = connect
        self._begin = begin

    # -- metric series for baselines ------------------------------------------------
    def series(
        self, dataset: str, name: str, column: str | None, before: datetime, limit: int = 400
    ) -> list[tuple[datetime, float]]:
        """Values of one metric strictly before ``before``, without unaccepted incidents.

        When a run was recorded twice for one logical time (a replay), the newest wins.
        """
        column_match = metrics.c.column.is_(None) if column is None else metrics.c.column == column
        query = (
            select(metrics.c.as_of, metrics.c.value, metrics.c.run_id)
            .where(metrics.c.dataset == dataset, metrics.c.name == name, column_match)
            .where(metrics.c.as_of < before)
            .order_by(metrics.c.as_of.desc(), metrics.c.id.desc())
            .limit(limit)
        )
        with self._connect() as conn:
            rows = conn.execute(query).all()
            excluded = self._incident_runs(conn, dataset, name, column)
        seen: set[datetime] = set()
        points = []
        for as_of, value, run_id in rows:
            if as_of in seen:
                continue  # an older run of a replayed day: the newest run decides
            seen.add(as_of)
            if value is None or run_id in excluded:
                continue
            points.append((as_of, float(value)))
        return sorted(points)

    def _incident_runs(
        self, conn: Connection, dataset: str, name: str, column: str | None
    ) -> set[str]:
        column_match = (
            metric_flags.c.column.is_(None) if column is None else metric_flags.c.column == column
        )
        rows = conn.execute(
            select(metric_flags.c.run_id, metric_flags.c.state)
            .where(metric_flags.c.dataset == dataset, metric_flags.c.name == name, column_match)
            .order_by(metric_flags.c.id)
        ).all()
        state: dict[str, str] = {}
        for run_id, flag in rows:
            state[run_id] = flag  # the latest flag of a point wins (accepted after incident)
        return {run_id for run_id, flag in state.items() if flag == INCIDENT}

    def flag(
        self,
        dataset: str,
        name: str,
        column: str | None,
        run_id: str,
        as_of: datetime,
        state: str = INCIDENT,
    ) -> None:
        with self._begin() as conn:
            conn.execute(
                metric_flags.insert().values(
                    dataset=dataset,
                    name=name,
                    column=column,
                    run_id=run_id,
                    as_of=as_of,
                    state=state,
                    flagged_at=datetime.now(UTC),
                )
            )

    def incidents(self, dataset: str) -> list[dict[str, object]]:
        """Flagged points of a dataset whose latest flag is still 'incident', newest first."""
        with self._connect() as conn:
            rows = (
                conn.execute(
                    select(metric_flags)
                    .where(metric_flags.c.dataset == dataset)
                    .order_by(metric_flags.c.id)
                )
                .mappings()
                .all()
            )
        latest: dict[tuple[object, ...], dict[str, object]] = {}
        for row in rows:
            latest[(row["name"], row["column"], row["run_id"])] = dict(row)
        found = [r for r in latest.values() if r["state"] == INCIDENT]
        return sorted(found, key=lambda r: r["as_of"], reverse=True)  # type: ignore[arg-type, return-value]

    def accept(self, dataset: str, run_or_time: str, metric: str | None = None) -> int:
        """Mark incident points of a run (id or ISO date prefix) as expected; returns how many."""
        accepted = 0
        for incident in self.incidents(dataset):
            as_of = incident["as_of"]
            assert isinstance(as_of, datetime)
            matches = incident["run_id"] == run_or_time or as_of.isoformat().startswith(run_or_time)
            if matches and (metric is None or incident["name"] == metric):
                self.flag(
                    dataset,
                    str(incident["name"]),
                    None if incident["column"] is None else str(incident["column"]),
                    str(incident["run_id"]),
                    as_of,
                    ACCEPTED,
                )
                accepted += 1
        return accepted

    # -- schemas ----------------------------------------------------------------------
    def previous_schema(self, dataset: str, before: datetime) -> SchemaSnapshot | None:
        with self._connect() as conn:
            row = (
                conn.execute(
                    select(schema_snapshots)
                    .where(schema_snapshots.c.dataset == dataset, schema_snapshots.c.as_of < before)
                    .order_by(schema_snapshots.c.as_of.desc(), schema_snapshots.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return SchemaSnapshot(
            row["dataset"], row["run_id"], row["as_of"], row["fingerprint"], dict(row["columns"])
        )

    def record_schema(
        self, dataset: str, run_id: str, as_of: datetime, columns: dict[str, str]
    ) -> None:
        with self._begin() as conn:
            conn.execute(
                delete(schema_snapshots).where(
                    and_(schema_snapshots.c.dataset == dataset, schema_snapshots.c.run_id == run_id)
                )
            )
            conn.execute(
                schema_snapshots.insert().values(
                    dataset=dataset,
                    run_id=run_id,
                    as_of=as_of,
                    fingerprint=schema_fingerprint(columns),
                    columns=columns,
                )
            )

    def schema_timeline(self, dataset: str, limit: int = 200) -> list[SchemaSnapshot]:
        with self._connect() as conn:
            rows = (
                conn.execute(
                    select(schema_snapshots)
                    .where(schema_snapshots.c.dataset == dataset)
                    .order_by(schema_snapshots.c.as_of.desc())
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        return [
            SchemaSnapshot(
                r["dataset"], r["run_id"], r["as_of"], r["fingerprint"], dict(r["columns"])
            )
            for r in rows
        ]
