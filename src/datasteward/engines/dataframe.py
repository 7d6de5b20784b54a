"""pandas, Polars and Arrow tables: registered in an in-memory DuckDB (zero copy)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from datasteward.engines.duckdb import DuckDBEngine

if TYPE_CHECKING:
    from datasteward.config.models import DatasetConfig

__all__ = ["DataFrameEngine"]


class DataFrameEngine(DuckDBEngine):
    cursors_share_relations: ClassVar[bool] = False  # ``register`` is per connection

    def __init__(self, frames: dict[str, Any]) -> None:
        super().__init__(None, label="dataframe")
        for name, frame in frames.items():
            self.connection.register(name, frame)

    def relation(self, dataset: DatasetConfig) -> exp.Expr:
        assert dataset.table is not None
        return exp.to_table(dataset.table, quoted=True)
