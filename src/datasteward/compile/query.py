"""Merge the metrics of every check of a dataset into ONE aggregate SELECT.

Identical metrics (same SQL) are computed once. Each metric gets a short alias; the plan
remembers which check needs which alias under which local name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlglot import exp

__all__ = ["ROW_COUNT", "MetricPlan"]

ROW_COUNT = "row_count"


@dataclass
class MetricPlan:
    """Aggregate expressions by alias, and each check's view of them."""

    dialect: str
    expressions: dict[str, exp.Expr] = field(default_factory=dict)
    _alias_by_sql: dict[str, str] = field(default_factory=dict)
    # check index → local metric name → alias
    wiring: dict[int, dict[str, str]] = field(default_factory=dict)

    def add(self, owner: int, local_name: str, expression: exp.Expr) -> None:
        key = expression.sql(dialect=self.dialect)
        alias = self._alias_by_sql.get(key)
        if alias is None:
            alias = f"m{len(self.expressions)}"
            self._alias_by_sql[key] = alias
            self.expressions[alias] = expression
        self.wiring.setdefault(owner, {})[local_name] = alias

    def select(self, relation: exp.Expr, aliases: Iterable[str] | None = None) -> exp.Select:
        """The one query computing the given (default: all) metrics over the relation."""
        chosen = list(aliases) if aliases is not None else list(self.expressions)
        return exp.select(*(exp.alias_(self.expressions[a].copy(), a) for a in chosen)).from_(
            relation.copy()
        )

    def aliases_of(self, owner: int) -> list[str]:
        return list(self.wiring.get(owner, {}).values())

    def values_for(self, owner: int, row: dict[str, object]) -> dict[str, object]:
        return {local: row[alias] for local, alias in self.wiring.get(owner, {}).items()}
