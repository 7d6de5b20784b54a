"""What a check sees while it is compiled and evaluated: one dataset on one engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlglot import exp

from datasteward.compile.user_sql import column_names, parse_condition
from datasteward.engines.base import Column, Engine

if TYPE_CHECKING:
    from datasteward.checks.base import Check
    from datasteward.checks.drift import ReferenceDistribution

__all__ = ["DatasetRef", "ScanContext"]


@dataclass(frozen=True)
class DatasetRef:
    """Another dataset a check refers to (foreign keys, ``sql`` checks)."""

    name: str
    source: str
    engine: Engine
    relation: exp.Expr
    columns: list[Column]


@dataclass
class ScanContext:
    dataset: str
    source: str
    engine: Engine
    relation: exp.Expr
    columns: list[Column]
    as_of: datetime
    # Resolves a dataset name to its engine and relation (opens sources lazily).
    resolve: Callable[[str], DatasetRef] | None = None
    # Loads a drift reference: (dataset, reference, column, numeric, bins) → distribution.
    reference: Callable[[str, str, str, bool, int], ReferenceDistribution] | None = None
    _where_cache: dict[str, exp.Expr] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.engine.dialect

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column_type(self, name: str) -> str | None:
        return next((c.type for c in self.columns if c.name == name), None)

    def column(self, name: str) -> exp.Column:
        return exp.column(name, quoted=True)

    def condition(self, text: str, *, what: str = "where") -> exp.Expr:
        """A user-written condition, parsed once and returned as a fresh copy."""
        key = f"{what}\0{text}"
        if key not in self._where_cache:
            self._where_cache[key] = parse_condition(text, self.dialect, what=what)
        return self._where_cache[key].copy()

    def where_of(self, check: Check) -> exp.Expr | None:
        if not check.params.where:
            return None
        return exp.Paren(this=self.condition(check.params.where))

    def columns_in(self, text: str, *, what: str = "where") -> list[str]:
        return column_names(self.condition(text, what=what))

    def rows(self) -> exp.Select:
        """``SELECT * FROM <dataset>``, the start of every sample query."""
        return exp.select("*").from_(self.relation.copy())
