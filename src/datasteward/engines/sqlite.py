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


class _Corr:
    """Pearson correlation of pairs with no NULL, streaming: SQLite has no CORR aggregate."""

    def __init__(self) -> None:
        self.count = 0
        self.mean_x = self.mean_y = 0.0
        self.m2_x = self.m2_y = self.c_xy = 0.0

    def step(self, x: float | None, y: float | None) -> None:
        if x is None or y is None:
            return
        x, y = float(x), float(y)
        self.count += 1
        dx, dy = x - self.mean_x, y - self.mean_y
        self.mean_x += dx / self.count
        self.mean_y += dy / self.count
        self.c_xy += dx * (y - self.mean_y)
        self.m2_x += dx * (x - self.mean_x)
        self.m2_y += dy * (y - self.mean_y)

    def finalize(self) -> float | None:
        if self.count < 2 or self.m2_x <= 0 or self.m2_y <= 0:
            return None
        return self.c_xy / math.sqrt(self.m2_x * self.m2_y)


def _translate(value: object, source: str, target: str) -> str | None:
    if value is None:
        return None
    return str(value).translate(str.maketrans(source, target))


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
        _roll_back_hot_journal(path)
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
        schema = self._stream_schema(query, names)
        converters = [_converter(field.type) for field in schema]

        def to_batch(chunk: list[Sequence[object]]) -> pa.RecordBatch:
            arrays = [
                pa.array([convert(row[i]) for row in chunk], type=field.type)
                for i, (field, convert) in enumerate(zip(schema, converters, strict=True))
            ]
            return pa.RecordBatch.from_arrays(arrays, schema=schema)

        batches = (to_batch(chunk) for chunk in batched(iter(cursor), batch_rows))
        return pa.RecordBatchReader.from_batches(schema, batches)

    def _stream_schema(self, query: exp.Expr, names: list[str]) -> pa.Schema:
        """One Arrow type per column, from the storage classes SQLite actually holds.

        SQLite types values, not columns: a NUMERIC column may hold integers in one row
        and reals in the next, so the types are read from the whole result first.
        """
        import pyarrow as pa

        kinds = ("integer", "real", "text", "blob")
        source = exp.Subquery(this=query.copy(), alias=exp.TableAlias(this=exp.to_identifier("q")))
        terms = [
            exp.Max(
                this=exp.EQ(
                    this=exp.Anonymous(
                        this="typeof", expressions=[exp.column(n, table="q", quoted=True)]
                    ),
                    expression=exp.Literal.string(kind),
                )
            )
            for n in names
            for kind in kinds
        ]
        if not terms:
            return pa.schema([])
        found = self.fetch(exp.select(*terms).from_(source)).rows[0]
        fields = []
        for position, name in enumerate(names):
            present = {
                k
                for k, flag in zip(kinds, found[position * 4 : position * 4 + 4], strict=True)
                if flag
            }
            fields.append(pa.field(name, _arrow_type(present)))
        return pa.schema(fields)

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

    def key_text(self, value: exp.Expr) -> exp.Expr:
        # CAST(... AS TEXT) rounds doubles to 15 digits (0.3 and 0.1 + 0.2 become one text)
        # and hands blobs over as bytes the driver cannot decode; quote() writes the value
        # as an SQL literal, with 20 digits and blobs in hex.
        return exp.Anonymous(this="quote", expressions=[value])

    def text_key(self, value: exp.Expr) -> exp.Expr:
        # The value itself, compared with the literal: as GROUP BY compares (by the column's
        # collation, 1 equal to 1.0), which the texts of the values would not.
        return value

    def key_literal(self, text: str) -> exp.Expr:
        import sqlglot
        from sqlglot.errors import SqlglotError

        try:
            literal: exp.Expr = sqlglot.parse_one(text, read="sqlite")
        except SqlglotError:
            literal = exp.Null()
        number = literal.this if isinstance(literal, exp.Neg) else literal
        if not isinstance(number, exp.Literal | exp.HexString) or (
            number is not literal and number.is_string
        ):
            raise QueryError(f"{text!r} is no SQLite literal")  # 'Inf', say
        return literal

    def temporal(self, value: exp.Expr, family: str) -> exp.Expr:
        # SQLite keeps dates as text: normalise both sides so '2024-02-01' equals midnight.
        return exp.Anonymous(this="date" if family == "date" else "datetime", expressions=[value])


def _roll_back_hot_journal(path: Path) -> None:
    """Undo the half-written transaction of a killed writer, as its journal records it.

    A read-only connection cannot roll a hot journal back, so it refuses to read at all;
    a read-write connection does it on its first read. Without a journal nothing happens,
    and a live writer's journal is not hot: this read just waits its turn.
    """
    if not path.with_name(path.name + "-journal").exists():
        return
    try:
        recovery = sqlite3.connect(path, timeout=30)
    except sqlite3.Error:
        return  # the read-only open reports the problem
    try:
        recovery.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        pass  # e.g. no write permission: the read-only open reports it
    finally:
        recovery.close()


def _add_functions(connection: sqlite3.Connection) -> None:
    """What checks call that SQLite lacks: REGEXP, TRANSLATE, STDDEV_SAMP and CORR."""
    connection.create_function("regexp", 2, _regexp, deterministic=True)
    connection.create_function("translate", 3, _translate, deterministic=True)
    connection.create_aggregate("stddev_samp", 1, _StddevSamp)  # type: ignore[arg-type]
    connection.create_aggregate("corr", 2, _Corr)  # type: ignore[arg-type]


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


def _arrow_type(kinds: set[str]) -> pa.DataType:
    import pyarrow as pa

    if kinds <= {"integer"}:
        return pa.int64() if kinds else pa.null()
    if kinds <= {"integer", "real"}:
        return pa.float64()
    if kinds == {"blob"}:
        return pa.binary()
    return pa.string()  # text, or a mix of text and numbers


def _converter(arrow_type: pa.DataType) -> Callable[[object], object]:
    import pyarrow as pa

    if pa.types.is_string(arrow_type):
        return lambda v: v if v is None or isinstance(v, str) else str(v)
    if pa.types.is_floating(arrow_type):
        return lambda v: None if v is None else float(v)  # type: ignore[arg-type]
    return lambda v: v


def _chain(first: pa.RecordBatch, rest: object) -> object:
    yield first
    yield from rest  # type: ignore[misc]
