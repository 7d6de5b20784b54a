"""The dataset a fix changes, and what every fix action says about itself.

An action describes its change three ways, all SQLGlot expressions computed by the engine:
the rows it changes (for counts and before/after samples), DML statements that change a
table in place (database sources), and a SELECT of the new content (files sources, which
are rewritten whole and renamed into place).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from datasteward.errors import UsageError, did_you_mean
from datasteward.services.json_values import jsonable

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext
    from datasteward.config.models import DatasetConfig
    from datasteward.engines.base import Column, Engine

__all__ = ["Action", "Preview", "Target", "count_where", "sample_rows"]


@dataclass(frozen=True)
class Target:
    """One dataset on its engine, as a fix sees it."""

    dataset: str
    config: DatasetConfig
    ctx: ScanContext

    @property
    def engine(self) -> Engine:
        return self.ctx.engine

    @property
    def relation(self) -> exp.Expr:
        return self.ctx.relation.copy()

    @property
    def columns(self) -> list[Column]:
        return self.ctx.columns

    @property
    def names(self) -> list[str]:
        return self.ctx.column_names

    @property
    def dialect(self) -> str:
        return self.ctx.dialect

    def table(self) -> exp.Table:
        """The table a database source keeps the dataset in."""
        relation = self.relation
        assert isinstance(relation, exp.Table), "only database sources change tables in place"
        return relation

    def column(self, name: str, option: str) -> exp.Column:
        """A quoted column reference, or a usage error naming the option that used it."""
        self.require([name], option)
        return exp.column(name, quoted=True)

    def require(self, names: list[str], option: str) -> None:
        for name in names:
            if name not in self.names:
                raise UsageError(
                    f"{option}: column {name!r} not found in dataset {self.dataset!r}",
                    hint=did_you_mean(name, self.names) or f"columns: {', '.join(self.names[:12])}",
                )

    def column_type(self, name: str) -> exp.DataType | None:
        """The column's type as SQLGlot reads the engine's name for it (None if it cannot)."""
        from sqlglot.errors import ParseError

        engine_type = self.ctx.column_type(name)
        if not engine_type:
            return None
        try:
            return exp.DataType.build(engine_type, dialect=self.dialect)
        except (ParseError, ValueError):
            return None


@dataclass(frozen=True)
class Preview:
    """How many rows a fix changes, with a few of them before and after."""

    rows: int
    before: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)


class Action:
    """One kind of change. Subclasses are frozen dataclasses built by ``build_action``."""

    kind: ClassVar[str]

    def describe(self) -> str:
        """How the audit log names the change: ``trim email where country = 'NL'``."""
        raise NotImplementedError

    def preview(self, target: Target, samples: int) -> Preview:
        raise NotImplementedError

    def statements(self, target: Target) -> list[exp.Expr]:
        """DML run in one transaction; the last statement's row count is the rows affected."""
        raise NotImplementedError

    def rewrite(self, target: Target) -> exp.Select:
        """The dataset's whole new content, for sources that are rewritten (files)."""
        raise NotImplementedError


def count_where(target: Target, condition: exp.Expr) -> int:
    query = exp.select(exp.Count(this=exp.Star())).from_(target.relation).where(condition)
    return int(target.engine.fetch(query).rows[0][0])


def sample_rows(target: Target, query: exp.Select) -> list[dict[str, Any]]:
    return [jsonable(row) for row in target.engine.fetch(query).as_dicts()]


def is_true(condition: exp.Expr) -> exp.Expr:
    """TRUE only where the condition is TRUE (NULL counts as not), as DML's WHERE reads it."""
    return exp.Coalesce(this=exp.Paren(this=condition), expressions=[exp.false()])
