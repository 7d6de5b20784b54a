"""The SQL of a profile, built with SQLGlot: few queries, each doing a lot in one scan.

Columns are referred to by their position in the dataset; result columns get generated
aliases (``c3_min``), so no user-chosen name ever becomes SQL text except as a quoted
identifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from datasteward.checks.schema import type_family
from datasteward.engines.base import Column, Engine

__all__ = [
    "ProfiledColumn",
    "basics_query",
    "contingency_query",
    "correlation_query",
    "daily_rows_query",
    "duplicate_probe",
    "exact_distinct_query",
    "histogram_query",
    "kind_of",
    "pattern_query",
    "quantile_rows_query",
    "quantiles_query",
]

_KINDS = {
    "integer": "numeric",
    "double": "numeric",
    "decimal": "numeric",
    "boolean": "boolean",
    "string": "string",
    "date": "temporal",
    "timestamp": "temporal",
    "time": "time",
}


def kind_of(engine_type: str) -> str:
    """How a column is profiled: numeric, boolean, string, temporal, time or other."""
    lowered = engine_type.strip().lower()
    if lowered.endswith("]") or lowered.startswith(("struct", "map", "list", "union", "array")):
        return "other"  # nested values: counted, not compared (VARCHAR[] is no string)
    return _KINDS.get(type_family(engine_type), "other")


@dataclass(frozen=True)
class ProfiledColumn:
    index: int
    name: str
    type: str
    kind: str

    @classmethod
    def of(cls, columns: Sequence[Column]) -> list[ProfiledColumn]:
        return [ProfiledColumn(i, c.name, c.type, kind_of(c.type)) for i, c in enumerate(columns)]

    @property
    def ref(self) -> exp.Column:
        return exp.column(self.name, quoted=True)

    def alias(self, stat: str) -> str:
        return f"c{self.index}_{stat}"

    def as_double(self) -> exp.Expr:
        return exp.cast(self.ref, exp.DataType.build("double"))


def _not_null(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))


def _count_star() -> exp.Expr:
    return exp.Count(this=exp.Star())


def basics_query(
    engine: Engine,
    relation: exp.Expr,
    columns: Sequence[ProfiledColumn],
    *,
    approx: bool,
    correlated: Sequence[ProfiledColumn] = (),
    text: bool = True,
) -> exp.Select:
    """ONE aggregate query: row count and, per column, counts, extremes, moments, lengths.

    Exact distinct counts and quantiles come from the per-column GROUP BY of
    ``distribution_query`` instead; ``approx`` adds the engine's sketch (HyperLogLog) here,
    ``correlated`` the Pearson correlation of every pair of those (numeric) columns.
    ``text``: extremes and lengths of text columns too (else their GROUP BY gives them).
    """
    terms: list[exp.Expr] = [exp.alias_(_count_star(), "row_count")]
    for column in columns:
        value: exp.Expr = column.ref
        stats: dict[str, exp.Expr | None] = {"count": exp.Count(this=value.copy())}
        if column.kind != "other" and approx:
            stats["distinct"] = engine.approx_distinct(value.copy())
        if column.kind == "boolean":
            as_int = exp.cast(value.copy(), exp.DataType.build("int"))
            stats |= {
                "min": exp.Min(this=as_int),
                "max": exp.Max(this=as_int.copy()),
                "mean": exp.Avg(this=exp.cast(as_int.copy(), exp.DataType.build("double"))),
            }
        elif column.kind in {"temporal", "time", "numeric"} or (column.kind == "string" and text):
            stats |= {"min": exp.Min(this=value.copy()), "max": exp.Max(this=value.copy())}
        if column.kind == "numeric":
            stats |= {
                "mean": exp.Avg(this=column.as_double()),
                "stddev": engine.stddev(column.as_double()),
            }
        if column.kind == "string" and text:
            length = engine.length(value.copy())
            stats |= {
                "len_min": exp.Min(this=length),
                "len_max": exp.Max(this=length.copy()),
                "len_mean": exp.Avg(this=exp.cast(length.copy(), exp.DataType.build("double"))),
            }
        terms += [exp.alias_(e, column.alias(s)) for s, e in stats.items() if e is not None]
    for i, a in enumerate(correlated):
        for b in correlated[i + 1 :]:
            pearson = exp.Corr(this=a.as_double(), expression=b.as_double())
            terms.append(exp.alias_(pearson, f"pearson_{a.index}_{b.index}"))
    return exp.select(*terms).from_(relation.copy())


def exact_distinct_query(relation: exp.Expr, columns: Sequence[ProfiledColumn]) -> exp.Select:
    """Exact distinct counts (to confirm the candidate keys an approximate count suggests)."""
    terms = [
        exp.alias_(exp.Count(this=exp.Distinct(expressions=[c.ref])), c.alias("distinct"))
        for c in columns
    ]
    return exp.select(*terms).from_(relation.copy())


def quantile_rows_query(
    relation: exp.Expr, column: ProfiledColumn, positions: Sequence[int]
) -> exp.Select:
    """The values at 1-based ``positions`` of the sorted non-missing values (no quantile aggregate)."""
    ranked = (
        exp.select(
            exp.alias_(column.as_double(), "v"),
            exp.alias_(
                exp.Window(
                    this=exp.RowNumber(),
                    order=exp.Order(expressions=[exp.Ordered(this=column.as_double())]),
                ),
                "position",
            ),
        )
        .from_(relation.copy())
        .where(_not_null(column.ref))
    )
    wanted = exp.In(
        this=exp.column("position"), expressions=[exp.Literal.number(p) for p in positions]
    )
    return exp.select("position", "v").from_(ranked.subquery("ranked")).where(wanted)


@dataclass(frozen=True)
class Binning:
    """Equal-width bins ``[edges[i], edges[i+1])``; the last one includes its upper edge."""

    edges: tuple[float, ...]

    @classmethod
    def of(cls, low: float, high: float, bins: int, *, integer: bool) -> Binning:
        if integer:
            width = float(max(1, -(-int(high - low + 1) // bins)))
            count = -(-int(high - low + 1) // int(width))
        elif high <= low:
            width, count = 1.0, 1
        else:
            width, count = (high - low) / bins, bins
        # Edges without binary noise (0.30000000000000004 → 0.3), used as they are reported.
        edges = [float(f"{low + i * width:.12g}") for i in range(count)]
        return cls((float(low), *edges[1:], float(f"{low + count * width:.12g}")))

    @property
    def count(self) -> int:
        return len(self.edges) - 1

    def bucket(self, value: exp.Expr, first: int = 0, last: int | None = None) -> exp.Expr:
        """The bin of a value, by comparing it with the edges (a binary search in CASEs).

        Comparing with the very edges reported keeps a value on an edge in the bin above
        it, where ``floor((v - low) / width)`` may round it into the bin below.
        """
        last = self.count if last is None else last
        if last - first == 1:
            return exp.Literal.number(first)
        middle = (first + last) // 2
        above = exp.GTE(this=value.copy(), expression=exp.Literal.number(self.edges[middle]))
        return exp.Case(
            ifs=[exp.If(this=above, true=self.bucket(value, middle, last))],
            default=self.bucket(value, first, middle),
        )


def histogram_query(
    relation: exp.Expr, binnings: Sequence[tuple[ProfiledColumn, Binning]]
) -> exp.Query:
    """Counts per bin of every numeric column: one GROUP BY per column, in one UNION ALL."""
    parts: list[exp.Query] = []
    for column, binning in binnings:
        bucket = binning.bucket(column.as_double())
        part = (
            exp.select(
                exp.alias_(exp.Literal.number(column.index), "column_index"),
                exp.alias_(bucket, "bin"),
                exp.alias_(_count_star(), "n"),
            )
            .from_(relation.copy())
            .where(_not_null(column.ref))
        )
        # One bin is a constant, and GROUP BY 0 would name a result column by position.
        parts.append(part if binning.count == 1 else part.group_by(bucket.copy()))
    return _union_all(parts)


def quantiles_query(
    engine: Engine,
    relation: exp.Expr,
    columns: Sequence[ProfiledColumn],
    fractions: Sequence[float],
) -> exp.Select | None:
    """The quantiles of columns that get no GROUP BY, in one aggregate (None: no aggregate)."""
    terms = []
    for column in columns:
        quantiles = engine.quantiles(column.as_double(), fractions)
        if quantiles is None:
            return None
        terms.append(exp.alias_(quantiles, column.alias("quantiles")))
    return exp.select(*terms).from_(relation.copy())


def pattern_query(
    engine: Engine, relation: exp.Expr, column: ProfiledColumn, top: int
) -> exp.Select:
    """The most common shapes (``Aaaa``, ``9999-99-99``) with the rows that have them.

    Each distinct value is shaped once, not each row: a column of a few thousand distinct
    values costs a few thousand shapings, whatever the row count.
    """
    counted = (
        exp.select(exp.alias_(column.ref, "v"), exp.alias_(_count_star(), "n"))
        .from_(relation.copy())
        .where(_not_null(column.ref))
        .group_by(column.ref)
    )
    shape = engine.shape(exp.cast(exp.column("v", table="d"), exp.DataType.build("text")))
    rows = exp.Sum(this=exp.column("n", table="d"))
    return (
        exp.select(exp.alias_(shape, "pattern"), exp.alias_(rows, "n"))
        .from_(counted.subquery("d"))
        .group_by(shape.copy())
        .order_by(exp.Ordered(this=rows.copy(), desc=True), exp.Ordered(this=shape.copy()))
        .limit(top)
    )


def daily_rows_query(relation: exp.Expr, column: ProfiledColumn, limit: int) -> exp.Select:
    """Rows per calendar day, oldest first."""
    day = exp.cast(column.ref, exp.DataType.build("date"))
    return (
        exp.select(exp.alias_(day, "day"), exp.alias_(_count_star(), "n"))
        .from_(relation.copy())
        .where(_not_null(column.ref))
        .group_by(day.copy())
        .order_by(exp.Ordered(this=day.copy()))
        .limit(limit)
    )


def average_rank(column: ProfiledColumn) -> exp.Expr:
    """The column's rank among its non-missing values, ties sharing their average rank."""
    order = exp.Order(expressions=[exp.Ordered(this=column.ref, nulls_first=False)])
    rank = exp.Window(this=exp.Rank(), order=order)
    # Rows up to and including the ties: cume_dist * all rows (NULLs sort last).
    through = exp.Mul(
        this=exp.Window(this=exp.CumeDist(), order=order.copy()),
        expression=exp.Window(this=_count_star()),
    )
    average = exp.Div(
        this=exp.Paren(this=exp.Add(this=rank, expression=through)),
        expression=exp.Literal.number(2),
    )
    return exp.Case(ifs=[exp.If(this=_not_null(column.ref), true=average)])


def correlation_query(
    relation: exp.Expr, columns: Sequence[ProfiledColumn], method: str
) -> tuple[exp.Select, list[tuple[ProfiledColumn, ProfiledColumn]]]:
    """``pearson`` (over values) or ``spearman`` (over average ranks) of every pair, one query."""
    spearman = method == "spearman"
    ranked = exp.select(
        *(
            exp.alias_(average_rank(c) if spearman else c.as_double(), f"v{c.index}")
            for c in columns
        )
    ).from_(relation.copy())
    terms: list[exp.Expr] = []
    read: list[tuple[ProfiledColumn, ProfiledColumn]] = []
    for i, a in enumerate(columns):
        for b in columns[i + 1 :]:
            term = exp.Corr(this=exp.column(f"v{a.index}"), expression=exp.column(f"v{b.index}"))
            terms.append(exp.alias_(term, f"{method}_{a.index}_{b.index}"))
            read.append((a, b))
    return exp.select(*terms).from_(ranked.subquery("ranked")), read


def contingency_query(
    relation: exp.Expr, pairs: Sequence[tuple[ProfiledColumn, ProfiledColumn]], *, joint: bool
) -> exp.Query:
    """Rows per (a, b) value combination of each pair, as text: the tables of Cramér's V.

    ``joint``: count every combination of all the columns in one GROUP BY (one scan, for
    columns with few combinations) and sum each pair's table from those counts.
    """
    text = exp.DataType.build("text")
    columns = list({c.index: c for pair in pairs for c in pair}.values())
    weight = "n"
    while weight in {c.name for c in columns}:
        weight += "_"
    source, rows = relation, _count_star()
    if joint:
        source, rows = exp.to_table("steward_joint"), exp.Sum(this=exp.column(weight, quoted=True))
    parts: list[exp.Query] = []
    for number, (a, b) in enumerate(pairs):
        a_text, b_text = exp.cast(a.ref, text), exp.cast(b.ref, text)
        parts.append(
            exp.select(
                exp.alias_(exp.Literal.number(number), "pair"),
                exp.alias_(a_text, "a"),
                exp.alias_(b_text, "b"),
                exp.alias_(rows.copy(), "n"),
            )
            .from_(source.copy())
            .where(exp.and_(_not_null(a.ref), _not_null(b.ref)))
            .group_by(a_text.copy(), b_text.copy())
        )
    query = _union_all(parts)
    if joint:
        counted = (
            exp.select(*(c.ref for c in columns), exp.alias_(_count_star(), weight, quoted=True))
            .from_(relation.copy())
            .group_by(*(c.ref for c in columns))
        )
        query = query.with_("steward_joint", as_=counted)
    return query


def _union_all(parts: Sequence[exp.Query]) -> exp.Query:
    query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    return query


def duplicate_probe(relation: exp.Expr, columns: Sequence[ProfiledColumn]) -> exp.Select:
    """One row if some combination of the columns' values occurs twice, else none."""
    refs = [c.ref for c in columns]
    return (
        exp.select(exp.Literal.number(1))
        .from_(relation.copy())
        .group_by(*refs)
        .having(exp.GT(this=_count_star(), expression=exp.Literal.number(1)))
        .limit(1)
    )
