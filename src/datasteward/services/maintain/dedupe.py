"""``--dedupe``: keep one row per key, the first or last by an order column.

Rows are ranked within their key by the order column (NULLs last), then by their
physical position (rowid, ctid, or the line in a file), so "first" without
``--order-by`` means first as stored. Every row ranked after the first goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sqlglot import exp

from datasteward.services.maintain.target import Action, Preview, Target, sample_rows

__all__ = ["Dedupe"]

_POS = "steward_pos"
_RANK = "steward_rank"
_COPIES = "steward_copies"


def _ident(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


@dataclass(frozen=True)
class Dedupe(Action):
    kind: ClassVar[str] = "dedupe"
    key: tuple[str, ...]
    keep: str = "first"  # or "last"
    order_by: str | None = None
    whole_rows: bool = False  # no key given: rows equal in every column are duplicates

    def describe(self) -> str:
        what = "identical rows" if self.whole_rows else f"by {', '.join(self.key)}"
        order = f" by {self.order_by}" if self.order_by else " as stored"
        return f"dedupe {what}, keeping the {self.keep}{order}"

    def ranked(self, target: Target) -> exp.Subquery:
        """Every row with its position, its rank within its key, and its key's row count."""
        positioned = exp.select(exp.Star(), exp.alias_(target.engine.row_position(), _POS)).from_(
            target.relation
        )
        desc = self.keep == "last"
        order = []
        if self.order_by is not None:
            order.append(exp.Ordered(this=_ident(self.order_by), desc=desc, nulls_first=False))
        order.append(exp.Ordered(this=_ident(_POS), desc=desc, nulls_first=False))
        partition = [_ident(k) for k in self.key]
        rank = exp.Window(
            this=exp.RowNumber(), partition_by=partition, order=exp.Order(expressions=order)
        )
        copies = exp.Window(
            this=exp.Count(this=exp.Star()), partition_by=[p.copy() for p in partition]
        )
        return (
            exp.select(exp.Star(), exp.alias_(rank, _RANK), exp.alias_(copies, _COPIES))
            .from_(positioned.subquery("positioned"))
            .subquery("ranked")
        )

    def _rows(self, target: Target, *conditions: exp.Expr) -> exp.Select:
        columns = [_ident(name) for name in target.names]
        return exp.select(*columns).from_(self.ranked(target)).where(exp.and_(*conditions))

    def preview(self, target: Target, samples: int) -> Preview:
        extra = exp.GT(this=_ident(_RANK), expression=exp.Literal.number(1))
        count = exp.select(exp.Count(this=exp.Star())).from_(self.ranked(target)).where(extra)
        rows = int(target.engine.fetch(count).rows[0][0])
        if not rows or not samples:
            return Preview(rows)
        duplicated = exp.GT(this=_ident(_COPIES), expression=exp.Literal.number(1))
        keys = [exp.Ordered(this=_ident(k), nulls_first=False) for k in self.key]
        before = self._rows(target, duplicated).order_by(*keys, _ident(_RANK)).limit(samples)
        first = exp.EQ(this=_ident(_RANK), expression=exp.Literal.number(1))
        after = self._rows(target, duplicated.copy(), first).order_by(*(k.copy() for k in keys))
        return Preview(rows, sample_rows(target, before), sample_rows(target, after.limit(samples)))

    def statements(self, target: Target) -> list[exp.Expr]:
        extra = exp.GT(this=_ident(_RANK), expression=exp.Literal.number(1))
        doomed = exp.select(_ident(_POS)).from_(self.ranked(target)).where(extra)
        position = target.engine.row_position()
        return [
            exp.Delete(
                this=target.table(),
                where=exp.Where(this=exp.In(this=position, query=doomed.subquery())),
            )
        ]

    def rewrite(self, target: Target) -> exp.Select:
        first = exp.EQ(this=_ident(_RANK), expression=exp.Literal.number(1))
        return self._rows(target, first).order_by(_ident(_POS))
