"""What each alert route last said about each check, shared by every process.

One row per (route, dataset, check, column): whether the route considers the check
failing or ok, the run that last moved it there, the newest logical time seen, and
whether that message was delivered. Claims run under an exclusive lock, so when several
processes notify about runs at once each transition is claimed, and sent, exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Column, Connection, String, Table, and_, bindparam, select, update

from datasteward.store.tables import UtcDateTime, metadata

__all__ = [
    "AlertKey",
    "AlertStateLog",
    "AlertStateRow",
    "AlertStates",
    "Delivery",
    "State",
    "alert_state",
]

State = Literal["failing", "ok"]
# sending: claimed, being delivered; sent: delivered (or nothing needed saying);
# failed: every attempt failed, so the next run says it again.
Delivery = Literal["sending", "sent", "failed"]

alert_state = Table(
    "alert_state",
    metadata,
    Column("route", String(), primary_key=True),
    Column("dataset", String(), primary_key=True),
    Column("check_name", String(), primary_key=True),
    # "" for checks without a column: primary key columns cannot be NULL.
    Column("column", String(), primary_key=True),
    Column("state", String(), nullable=False),
    Column("run_id", String(), nullable=False),
    Column("as_of", UtcDateTime(), nullable=False),
    Column("delivery", String(), nullable=False),
    Column("claimed_at", UtcDateTime(), nullable=False),
)

# Taken for the whole claim transaction: the read-decide-write of one process never
# interleaves with another's. Claims are short; deliveries happen after the commit.
_LOCK = {
    "postgresql": "SELECT pg_advisory_xact_lock(23490056282796916)",
    "sqlite": "BEGIN IMMEDIATE",
}


@dataclass(frozen=True, order=True)
class AlertKey:
    """Which check of which dataset, as one route tracks it."""

    dataset: str
    check: str
    column: str = ""


@dataclass(frozen=True)
class AlertStateRow:
    route: str
    key: AlertKey
    state: State
    run_id: str
    as_of: datetime
    delivery: Delivery
    claimed_at: datetime


Connect = Callable[[], AbstractContextManager[Connection]]


class AlertStates:
    """The rows of ``alert_state`` inside one locked transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def of_route(self, route: str, datasets: Iterable[str]) -> dict[AlertKey, AlertStateRow]:
        """The rows of ``route`` for checks of ``datasets``."""
        query = select(alert_state).where(
            alert_state.c.route == route, alert_state.c.dataset.in_(sorted(set(datasets)))
        )
        rows = (_row(found) for found in self._conn.execute(query).mappings())
        return {row.key: row for row in rows}

    def insert(self, rows: list[AlertStateRow]) -> None:
        if rows:
            self._conn.execute(alert_state.insert(), [_values(row) for row in rows])

    def update(self, rows: list[AlertStateRow]) -> None:
        if rows:
            self._conn.execute(_UPDATE, [_keyed(row) for row in rows])


class AlertStateLog:
    """Reads and writes ``alert_state`` through the store's connections."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect

    @contextmanager
    def locked(self) -> Iterator[AlertStates]:
        """A transaction no other process's ``locked()`` overlaps; commits on success."""
        with self._connect() as conn:
            conn.exec_driver_sql(_LOCK[conn.dialect.name])
            try:
                yield AlertStates(conn)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def settle(self, route: str, run_id: str, keys: Iterable[AlertKey], delivery: Delivery) -> None:
        """Record how the delivery claimed by ``run_id`` for ``keys`` ended.

        Rows claimed again since (by a later run) are left alone.
        """
        params = [
            {"b_route": route, "b_run_id": run_id, **_key_params(key), "b_delivery": delivery}
            for key in keys
        ]
        if not params:
            return
        statement = (
            update(alert_state)
            .where(_KEY_MATCHES)
            .where(alert_state.c.run_id == bindparam("b_run_id"))
            .where(alert_state.c.delivery == "sending")
            .values(delivery=bindparam("b_delivery"))
        )
        with self._connect() as conn:
            conn.execute(statement, params)
            conn.commit()

    def rows(self, route: str | None = None) -> list[AlertStateRow]:
        """Every row (of one route when given), for inspection and tests."""
        query = select(alert_state).order_by(
            alert_state.c.route, alert_state.c.dataset, alert_state.c.check_name
        )
        if route is not None:
            query = query.where(alert_state.c.route == route)
        with self._connect() as conn:
            return [_row(found) for found in conn.execute(query).mappings()]


_KEY_MATCHES = and_(
    alert_state.c.route == bindparam("b_route"),
    alert_state.c.dataset == bindparam("b_dataset"),
    alert_state.c.check_name == bindparam("b_check_name"),
    alert_state.c.column == bindparam("b_column"),
)

_UPDATE = (
    update(alert_state)
    .where(_KEY_MATCHES)
    .values(
        state=bindparam("state"),
        run_id=bindparam("run_id"),
        as_of=bindparam("as_of"),
        delivery=bindparam("delivery"),
        claimed_at=bindparam("claimed_at"),
    )
)


def _key_params(key: AlertKey) -> dict[str, str]:
    return {"b_dataset": key.dataset, "b_check_name": key.check, "b_column": key.column}


def _values(row: AlertStateRow) -> dict[str, Any]:
    values = asdict(row)
    del values["key"]
    return {
        **values,
        "dataset": row.key.dataset,
        "check_name": row.key.check,
        "column": row.key.column,
    }


def _keyed(row: AlertStateRow) -> dict[str, Any]:
    values = asdict(row)
    del values["key"], values["route"]
    return {**values, "b_route": row.route, **_key_params(row.key)}


def _row(found: Any) -> AlertStateRow:
    return AlertStateRow(
        route=found["route"],
        key=AlertKey(found["dataset"], found["check_name"], found["column"]),
        state=found["state"],
        run_id=found["run_id"],
        as_of=found["as_of"],
        delivery=found["delivery"],
        claimed_at=found["claimed_at"],
    )
