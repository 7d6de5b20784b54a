"""PostgreSQL: queries run inside the server; only aggregates and samples come back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from datasteward.engines.base import Column, Engine, QueryError, Rows, batched
from datasteward.engines.duckdb import table_relation
from datasteward.errors import SourceError

if TYPE_CHECKING:
    import pyarrow as pa

    from datasteward.config.models import DatasetConfig

__all__ = ["PostgresEngine", "mask_password"]


def mask_password(url: str) -> str:
    """``postgresql://user:secret@host`` → ``postgresql://user:***@host``."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


class PostgresEngine(Engine):
    dialect: ClassVar[str] = "postgres"

    def __init__(self, url: str, *, label: str = "postgres") -> None:
        import psycopg

        self.label = label
        try:
            # Autocommit: a failed check query must not abort the session for the others.
            self.connection = psycopg.connect(
                url.replace("postgresql+psycopg://", "postgresql://"),
                autocommit=True,
                connect_timeout=10,
            )
        except psycopg.Error as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else "failed"
            raise SourceError(
                f"source {label!r}: cannot connect to {mask_password(url)}: {detail}"
            ) from None

    def relation(self, dataset: DatasetConfig) -> exp.Expr:
        assert dataset.table is not None
        return table_relation(dataset.table)

    def columns(self, relation: exp.Expr) -> list[Column]:
        import psycopg
        from psycopg.postgres import types

        try:
            cursor = self.connection.execute(self.to_sql(exp.select("*").from_(relation).limit(0)))
        except psycopg.errors.UndefinedTable:
            raise SourceError(
                f"source {self.label!r}: table {relation.sql('postgres')} not found"
            ) from None
        except psycopg.Error as error:
            raise SourceError(f"source {self.label!r}: {_first_line(error)}") from None
        columns = []
        for description in cursor.description or []:
            info = types.get(description.type_code)
            columns.append(Column(description.name, info.name if info else "unknown"))
        return columns

    def fetch(self, query: exp.Expr) -> Rows:
        cursor = self._execute(query)
        names = [d.name for d in cursor.description or []]
        return Rows(names, [tuple(r) for r in cursor.fetchall()])

    def stream(self, query: exp.Expr, batch_rows: int = 65_536) -> pa.RecordBatchReader:
        import psycopg
        import pyarrow as pa

        cursor = self.connection.cursor()
        try:
            rows = cursor.stream(self.to_sql(query), size=min(batch_rows, 10_000))
            first_rows = next(batched(rows, batch_rows), [])
        except psycopg.Error as error:
            raise QueryError(_first_line(error)) from None
        names = [d.name for d in cursor.description or []]

        def to_batch(chunk: list[Any]) -> pa.RecordBatch:
            return pa.RecordBatch.from_pylist([dict(zip(names, r, strict=True)) for r in chunk])

        if not first_rows:
            empty = pa.schema([(n, pa.null()) for n in names])
            return pa.RecordBatchReader.from_batches(empty, iter([]))
        first = to_batch(first_rows)

        def batches() -> Any:
            yield first
            for chunk in batched(rows, batch_rows):
                yield to_batch(chunk).cast(first.schema)

        return pa.RecordBatchReader.from_batches(first.schema, batches())

    def close(self) -> None:
        self.connection.close()

    def length(self, value: exp.Expr) -> exp.Expr:
        return exp.Length(this=exp.cast(value, exp.DataType.build("text")))

    def _execute(self, query: exp.Expr) -> Any:
        import psycopg

        try:
            return self.connection.execute(self.to_sql(query))
        except psycopg.OperationalError as error:
            raise SourceError(f"source {self.label!r}: {_first_line(error)}") from None
        except psycopg.Error as error:
            raise QueryError(_first_line(error)) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
