"""Column edits (``--set``, ``--trim``, ``--lower``, ``--fill-null``) and ``--delete-where``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sqlglot import exp

from datasteward.services.maintain.target import (
    Action,
    Preview,
    Target,
    count_where,
    is_true,
    sample_rows,
)

__all__ = ["ColumnEdits", "DeleteRows"]

_NEW = "steward_new_{}"


@dataclass(frozen=True)
class ColumnEdits(Action):
    """New values for some columns, computed from the row, where ``where`` holds.

    Only rows whose values actually change count as affected (and are written).
    """

    kind: ClassVar[str] = "edit"
    values: tuple[tuple[str, exp.Expr], ...]  # column → new value over the old row
    labels: tuple[str, ...]
    where: exp.Expr | None = None
    where_text: str | None = None

    def describe(self) -> str:
        text = ", ".join(self.labels)
        return f"{text} where {self.where_text}" if self.where_text else text

    def condition(self) -> exp.Expr:
        """Rows the edit changes: those it applies to whose values differ afterwards."""
        differs = [
            exp.NullSafeNEQ(this=value.copy(), expression=exp.column(name, quoted=True))
            for name, value in self.values
        ]
        changed: exp.Expr = exp.Paren(this=exp.or_(*differs)) if len(differs) > 1 else differs[0]
        if self.where is None:
            return changed
        return exp.and_(exp.Paren(this=self.where.copy()), changed)

    def preview(self, target: Target, samples: int) -> Preview:
        rows = count_where(target, self.condition())
        if not rows or not samples:
            return Preview(rows)
        new_values = [
            exp.alias_(value.copy(), _NEW.format(i), quoted=True)
            for i, (_, value) in enumerate(self.values)
        ]
        query = (
            exp.select(exp.Star(), *new_values)
            .from_(target.relation)
            .where(self.condition())
            .limit(samples)
        )
        edited = {_NEW.format(i): name for i, (name, _) in enumerate(self.values)}
        before, after = [], []
        for row in sample_rows(target, query):
            old = {name: row[name] for name in target.names}
            before.append(old)
            after.append({**old, **{name: row[alias] for alias, name in edited.items()}})
        return Preview(rows, before, after)

    def statements(self, target: Target) -> list[exp.Expr]:
        assignments = [
            exp.EQ(this=exp.column(name, quoted=True), expression=value.copy())
            for name, value in self.values
        ]
        return [
            exp.Update(
                this=target.table(),
                expressions=assignments,
                where=exp.Where(this=self.condition()),
            )
        ]

    def rewrite(self, target: Target) -> exp.Select:
        edited = dict(self.values)
        projection: list[exp.Expr] = []
        for name in target.names:
            column = exp.column(name, quoted=True)
            if name not in edited:
                projection.append(column)
                continue
            value = edited[name].copy()
            kind = target.column_type(name)
            # A table keeps its column types whatever value is assigned; so does the file.
            new = exp.cast(value, kind) if kind is not None else value
            case = exp.Case(ifs=[exp.If(this=self.condition(), true=new)], default=column)
            projection.append(exp.alias_(case, name, quoted=True))
        return exp.select(*projection).from_(target.relation)


@dataclass(frozen=True)
class DeleteRows(Action):
    """``--delete-where COND``: rows where the condition is TRUE go."""

    kind: ClassVar[str] = "delete"
    where: exp.Expr
    where_text: str

    def describe(self) -> str:
        return f"delete where {self.where_text}"

    def preview(self, target: Target, samples: int) -> Preview:
        rows = count_where(target, self.where.copy())
        if not rows or not samples:
            return Preview(rows)
        query = exp.select("*").from_(target.relation).where(self.where.copy()).limit(samples)
        return Preview(rows, sample_rows(target, query), [])

    def statements(self, target: Target) -> list[exp.Expr]:
        return [exp.Delete(this=target.table(), where=exp.Where(this=self.where.copy()))]

    def rewrite(self, target: Target) -> exp.Select:
        keep = exp.Not(this=is_true(self.where.copy()))
        return exp.select("*").from_(target.relation).where(keep)
