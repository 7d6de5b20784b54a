"""One GROUP BY per column gives everything its value frequencies hold.

The frequencies of a column's values (``GROUP BY value``) are computed once, in the
engine, and read four ways by one query: the top values, the exact distinct count, the
values at the sorted positions that quantiles need (a running sum over the distinct
values, instead of a sort of every row), and the histogram (each distinct value put in
its bin once, weighted by its count). A few dozen rows reach Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from datasteward.services.profile.queries import Binning, ProfiledColumn

__all__ = ["Distribution", "distribution_query", "read_distribution"]


@dataclass
class Distribution:
    """What a column's value frequencies say."""

    distinct: int = 0
    top: list[tuple[Any, int]] = field(default_factory=list)  # (value, rows), commonest first
    at: dict[int, float] = field(default_factory=dict)  # sorted 1-based position → value
    bins: dict[int, int] = field(default_factory=dict)  # bin number → rows
    low: Any = None  # text only: the smallest and largest value
    high: Any = None
    lengths: tuple[int | None, int | None, int | None] = (None, None, None)  # min, max, total


def distribution_query(
    relation: exp.Expr,
    column: ProfiledColumn,
    top: int,
    positions: Sequence[int] = (),
    binning: Binning | None = None,
    length: exp.Expr | None = None,
) -> exp.Query:
    """Rows ``(part, v, n, k)``: ``top`` (k-th commonest value v, n rows), ``distinct`` (n),
    ``at`` (value v covers the sorted positions n - k + 1 … n), ``bin`` (bin k holds n rows),
    and with the ``length`` of ``v`` (text): ``low``/``high`` (value v), ``length`` (n the
    shortest, k the longest) and ``characters`` (n of them in all rows).

    Extremes and lengths of text cost less here, once per distinct value, than per row.
    """
    counted = (
        exp.select(exp.alias_(column.ref, "v"), exp.alias_(exp.Count(this=exp.Star()), "n"))
        .from_(relation.copy())
        .where(exp.Not(this=exp.Is(this=column.ref, expression=exp.Null())))
        .group_by(column.ref)
    )
    v, n = exp.column("v"), exp.column("n")
    commonest = [exp.Ordered(this=n.copy(), desc=True), exp.Ordered(this=v.copy())]
    best = exp.select("v", "n").from_("steward_counted").order_by(*commonest).limit(top)
    rank = exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=commonest))
    parts: list[exp.Query] = [
        _part("top", v, n, rank).from_(best.subquery("best")),
        _part("distinct", exp.Null(), exp.Count(this=exp.Star()), exp.Null()).from_(
            "steward_counted"
        ),
    ]
    if positions:
        parts.append(_positions(positions))
    if binning is not None:
        bucket = binning.bucket(exp.cast(v.copy(), exp.DataType.build("double")))
        bins = _part("bin", exp.Null(), exp.Sum(this=n.copy()), bucket).from_("steward_counted")
        # One bin is a constant, and GROUP BY 0 would name a result column by position.
        parts.append(bins if binning.count == 1 else bins.group_by(bucket.copy()))
    if length is not None:
        source = "steward_counted"
        parts += [
            _part("low", exp.Min(this=v.copy()), exp.Null(), exp.Null()).from_(source),
            _part("high", exp.Max(this=v.copy()), exp.Null(), exp.Null()).from_(source),
            _part(
                "length", exp.Null(), exp.Min(this=length.copy()), exp.Max(this=length.copy())
            ).from_(source),
            _part(
                "characters",
                exp.Null(),
                exp.Sum(this=exp.Mul(this=length.copy(), expression=n.copy())),
                exp.Null(),
            ).from_(source),
        ]
    query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    return query.with_("steward_counted", as_=counted)


def _part(name: str, v: exp.Expr, n: exp.Expr, k: exp.Expr) -> exp.Select:
    return exp.select(
        exp.alias_(exp.Literal.string(name), "part"),
        exp.alias_(v.copy(), "v"),
        exp.alias_(n.copy(), "n"),
        exp.alias_(k.copy(), "k"),
    )


def _positions(positions: Sequence[int]) -> exp.Select:
    """The distinct values that cover the wanted positions of the sorted values."""
    v, n, through = exp.column("v"), exp.column("n"), exp.column("through")
    running = exp.Window(
        this=exp.Sum(this=n.copy()), order=exp.Order(expressions=[exp.Ordered(this=v.copy())])
    )
    ranked = exp.select("v", "n", exp.alias_(running, "through")).from_("steward_counted")
    before = exp.Sub(this=through.copy(), expression=n.copy())
    covers = [
        exp.and_(
            exp.LT(this=before.copy(), expression=exp.Literal.number(p)),
            exp.GTE(this=through.copy(), expression=exp.Literal.number(p)),
        )
        for p in sorted(set(positions))
    ]
    return _part("at", v, through, n).from_(ranked.subquery("ranked")).where(exp.or_(*covers))


def read_distribution(rows: Sequence[tuple[Any, ...]], positions: Sequence[int]) -> Distribution:
    found = Distribution()
    ranked = []
    for part, v, n, k in rows:
        if part == "top":
            ranked.append((int(k), v, int(n)))
        elif part == "distinct":
            found.distinct = int(n)
        elif part == "at":
            through, rows_of_value = int(n), int(k)
            for position in positions:
                if through - rows_of_value < position <= through:
                    found.at[position] = float(v)
        elif part == "bin":
            found.bins[int(k)] = int(n)
        elif part == "low":
            found.low = v
        elif part == "high":
            found.high = v
        elif part == "length":
            found.lengths = (_int(n), _int(k), found.lengths[2])
        elif part == "characters":
            found.lengths = (found.lengths[0], found.lengths[1], _int(n))
    found.top = [(v, n) for _, v, n in sorted(ranked, key=lambda item: item[0])]
    return found


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
