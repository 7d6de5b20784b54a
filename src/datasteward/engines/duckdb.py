"""DuckDB databases, and the DuckDB connection other door-less inputs reuse."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from datasteward.engines.base import Column, Engine, QueryError, Rows
from datasteward.errors import SourceError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from datasteward.config.models import DatasetConfig

__all__ = ["DuckDBEngine", "table_relation"]


def table_relation(name: str) -> exp.Table:
    """``schema.table`` from the configuration as a quoted table reference."""
    parts = name.split(".")
    table = exp.to_identifier(parts[-1], quoted=True)
    schema = exp.to_identifier(parts[-2], quoted=True) if len(parts) > 1 else None
    catalog = exp.to_identifier(parts[-3], quoted=True) if len(parts) > 2 else None
    return exp.Table(this=table, db=schema, catalog=catalog)


class DuckDBEngine(Engine):
    dialect: ClassVar[str] = "duckdb"

    def __init__(self, path: Path | None = None, *, label: str = "duckdb") -> None:
        import duckdb

        self.label = label
        try:
            if path is None:
                self.connection: duckdb.DuckDBPyConnection = duckdb.connect()
            else:
                if not path.exists():
                    raise SourceError(f"source {label!r}: DuckDB file {str(path)!r} not found")
                # Read-only lets scans run beside a writer of the same file.
                self.connection = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as error:
            raise SourceError(
                f"source {label!r}: cannot open {path}: {_first_line(error)}"
            ) from None

    def relation(self, dataset: DatasetConfig) -> exp.Expr:
        assert dataset.table is not None
        return table_relation(dataset.table)

    def columns(self, relation: exp.Expr) -> list[Column]:
        query = exp.select("*").from_(relation).limit(0)
        result = self._execute(query, source_problem=True)
        return [Column(str(d[0]), str(d[1])) for d in result.description or []]

    def fetch(self, query: exp.Expr) -> Rows:
        result = self._execute(query)
        names = [str(d[0]) for d in result.description or []]
        return Rows(names, [tuple(row) for row in result.fetchall()])

    def stream(self, query: exp.Expr, batch_rows: int = 65_536) -> pa.RecordBatchReader:
        import duckdb

        try:
            return self.connection.sql(self.to_sql(query)).to_arrow_reader(batch_rows)
        except duckdb.Error as error:
            raise QueryError(_first_line(error)) from None

    def close(self) -> None:
        self.connection.close()

    def _execute(self, query: exp.Expr, *, source_problem: bool = False) -> Any:
        import duckdb

        try:
            return self.connection.execute(self.to_sql(query))
        except (duckdb.IOException, duckdb.CatalogException) as error:
            if source_problem:
                raise SourceError(f"source {self.label!r}: {_first_line(error)}") from None
            raise QueryError(_first_line(error)) from None
        except duckdb.Error as error:
            raise QueryError(_first_line(error)) from None


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
