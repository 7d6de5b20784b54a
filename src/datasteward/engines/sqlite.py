"""SQLite databases through the standard library driver, queried in place."""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sqlglot import exp

from datasteward.engines.base import Column, Engine, QueryError, Rows, batched
from datasteward.engines.duckdb import table_relation
from datasteward.errors import SourceError

if TYPE_CHECKING:
    import pyarrow as pa

    from datasteward.config.models import DatasetConfig

__all__ = ["SQLiteEngine"]


class _StddevSamp:
    """Welford's streaming variance: SQLite has no STDDEV aggregate of its own."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self.m2 = 0.0

    def step(self, value: float | None) -> None:
        if value is None:
            return
        self.count += 1
        delta = float(value) - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (float(value) - self.mean)

    def finalize(self) -> float | None:
        return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else None


def _regexp(pattern: str, value: object) -> bool | None:
    # SQLite calls the user function regexp(pattern, value) for "value REGEXP pattern".
    if value is None:
        return None
    return re.search(pattern, str(value)) is not None


class SQLiteEngine(Engine):
    dialect: ClassVar[str] = "sqlite"

    def __init__(self, path: Path, *, label: str = "sqlite") -> None:
        self.label = label
        self.path = path
        # Columns declared TIMESTAMP/DATETIME: SQLite returns their text as stored, with a
        # space; results show them in ISO form like every other engine.
        self._timestamp_columns: set[str] = set()
        if not path.exists():
            raise SourceError(f"source {label!r}: SQLite file {str(path)!r} not found")
        try:
            self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            self.connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as error:
            raise SourceError(f"source {label!r}: cannot open {str(path)!r}: {error}") from None
        _add_functions(self.connection)

    def relation(self, dataset: DatasetConfig) -> exp.Expr:
        assert dataset.table is not None
        return table_relation(dataset.table)

    def columns(self, relation: exp.Expr) -> list[Column]:
        assert isinstance(relation, exp.Table)
        pragma = exp.select("name", "type").from_(
            exp.Anonymous(
                this="pragma_table_info",
                expressions=[exp.Literal.string(relation.name)]
                + ([exp.Literal.string(relation.db)] if relation.db else []),
            )
        )
        found = self.fetch(pragma).rows
        if not found:
            raise SourceError(f"source {self.label!r}: table {relation.sql('sqlite')} not found")
        columns = [Column(str(name), str(kind or "")) for name, kind in found]
        self._timestamp_columns.update(
            c.name for c in columns if re.match(r"(?i)^(timestamp|datetime)", c.type)
        )
        return columns

    def fetch(self, query: exp.Expr) -> Rows:
        try:
            cursor = self.connection.execute(self.to_sql(query))
            rows = cursor.fetchall()
        except sqlite3.Error as error:
            raise QueryError(str(error)) from None
        names = [d[0] for d in cursor.description or []]
        stamped = [i for i, n in enumerate(names) if n in self._timestamp_columns]
        if stamped:
            rows = [_iso_timestamps(row, stamped) for row in rows]
        return Rows(names, [tuple(r) for r in rows])

    def stream(self, query: exp.Expr, batch_rows: int = 65_536) -> pa.RecordBatchReader:
        import pyarrow as pa

        try:
            cursor = self.connection.execute(self.to_sql(query))
        except sqlite3.Error as error:
            raise QueryError(str(error)) from None
        names = [d[0] for d in cursor.description or []]
        batches = (
            pa.RecordBatch.from_pylist([dict(zip(names, row, strict=True)) for row in chunk])
            for chunk in batched(iter(cursor), batch_rows)
        )
        first = next(batches, None)
        if first is None:
            return pa.RecordBatchReader.from_batches(
                pa.schema([(n, pa.null()) for n in names]), iter([])
            )
        return pa.RecordBatchReader.from_batches(first.schema, _chain(first, batches))

    def close(self) -> None:
        self.connection.close()

    def write(
        self,
        dataset: DatasetConfig,
        target: str | None,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        *,
        before_commit: Callable[[], None] = lambda: None,
    ) -> int:
        from datasteward.engines.arrow_types import create_table

        assert dataset.table is not None
        table = table_relation(target or dataset.table)
        name = table.sql("sqlite")
        columns = ", ".join(exp.to_identifier(n, quoted=True).sql("sqlite") for n in schema.names)
        insert = f"INSERT INTO {name} ({columns}) VALUES ({', '.join('?' for _ in schema.names)})"
        writer = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        written = 0
        try:
            writer.execute("BEGIN IMMEDIATE")
            try:
                if target is not None:
                    writer.execute(create_table(table, schema).sql("sqlite"))
                else:
                    writer.execute(f"DELETE FROM {name}")
                for batch in batches:
                    writer.executemany(insert, _sqlite_rows(batch))
                    written += batch.num_rows
                before_commit()
                writer.execute("COMMIT")
            except BaseException:
                writer.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise SourceError(f"source {self.label!r}: cannot write {name}: {error}") from None
        finally:
            writer.close()
        return written

    def execute_in_transaction(self, statements: Sequence[exp.Expr]) -> list[int]:
        writer = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        _add_functions(writer)
        counts: list[int] = []
        try:
            writer.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    counts.append(max(writer.execute(self.to_sql(statement)).rowcount, 0))
                writer.execute("COMMIT")
            except BaseException:
                writer.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise SourceError(
                f"source {self.label!r}: the change was rolled back: {error}"
            ) from None
        finally:
            writer.close()
        return counts

    def row_position(self) -> exp.Expr:
        return exp.column("rowid")

    def median(self, value: exp.Expr, relation: exp.Expr) -> exp.Expr:
        # No MEDIAN in SQLite: average the middle one or two values of the sorted column.
        count = exp.Count(this=value.copy())
        values = (
            exp.select(exp.alias_(value.copy(), "v"))
            .from_(relation.copy())
            .where(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))
            .order_by("v")
            .limit(
                exp.Paren(
                    this=exp.Sub(
                        this=exp.Literal.number(2),
                        expression=exp.Mod(
                            this=exp.select(count.copy()).from_(relation.copy()).subquery(),
                            expression=exp.Literal.number(2),
                        ),
                    )
                )
            )
            .offset(
                exp.select(
                    exp.IntDiv(
                        this=exp.Paren(this=exp.Sub(this=count, expression=exp.Literal.number(1))),
                        expression=exp.Literal.number(2),
                    )
                )
                .from_(relation.copy())
                .subquery()
            )
        )
        return exp.select(exp.Avg(this=exp.column("v"))).from_(values.subquery("middle")).subquery()

    def stddev(self, value: exp.Expr) -> exp.Expr:
        return exp.Anonymous(this="stddev_samp", expressions=[value])

    def temporal(self, value: exp.Expr, family: str) -> exp.Expr:
        # SQLite keeps dates as text: normalise both sides so '2024-02-01' equals midnight.
        return exp.Anonymous(this="date" if family == "date" else "datetime", expressions=[value])


def _add_functions(connection: sqlite3.Connection) -> None:
    """What checks call that SQLite lacks: REGEXP and a sample standard deviation."""
    connection.create_function("regexp", 2, _regexp, deterministic=True)
    connection.create_aggregate("stddev_samp", 1, _StddevSamp)  # type: ignore[arg-type]


def _iso_timestamps(row: tuple[object, ...], positions: list[int]) -> tuple[object, ...]:
    values = list(row)
    for i in positions:
        value = values[i]
        if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2} \d", value):
            values[i] = value[:10] + "T" + value[11:]
    return tuple(values)


def _sqlite_rows(batch: pa.RecordBatch) -> Iterator[tuple[object, ...]]:
    """Rows with the values sqlite3 can bind (decimals and times as text)."""
    from datetime import date, time
    from decimal import Decimal

    def value(item: object) -> object:
        if isinstance(item, Decimal):
            return str(item)
        if isinstance(item, date | time):
            return item.isoformat()
        return item

    names = batch.schema.names
    for row in batch.to_pylist():
        yield tuple(value(row[n]) for n in names)


def _chain(first: pa.RecordBatch, rest: object) -> object:
    yield first
    yield from rest  # type: ignore[misc]
