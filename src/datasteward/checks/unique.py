"""``unique: col`` or ``unique: [a, b]`` — every row whose key occurs more than once fails.

Rows with a NULL in the key are ignored (NULL is not a value to duplicate).

The grouping that counts the duplicated rows also returns the smallest duplicated keys,
in their text form, so that failing samples are fetched with ``WHERE key IN (...)``
instead of grouping the whole dataset a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import field_validator
from sqlglot import exp

from datasteward.checks.base import Check, CheckParams, Outcome, count_if, filtered
from datasteward.checks.row_level import RowLevelCheck, judge_rows, not_null_condition

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext

#: Duplicated keys the main query returns: the most samples a check may ask for (each
#: duplicated key has at least two rows). A constant, so ``samples`` changes no metric.
SAMPLE_KEYS = 1000
_GROUPS = "duplicate_groups"


class UniqueParams(CheckParams):
    columns: list[str]

    @field_validator("columns")
    @classmethod
    def _not_empty(cls, columns: list[str]) -> list[str]:
        if not columns:
            raise ValueError("name at least one column")
        return columns


class Unique(RowLevelCheck):
    type_name = "unique"
    Params = UniqueParams

    def shorthand(self, raw: Any) -> Mapping[str, Any]:
        if isinstance(raw, str):
            return {"columns": [raw]}
        if isinstance(raw, list):
            return {"columns": raw}
        if isinstance(raw, Mapping) and "column" in raw:
            rest = {k: v for k, v in raw.items() if k != "column"}
            return {**rest, "columns": [raw["column"]]}
        return super().shorthand(raw)

    def expand(self, params: CheckParams) -> list[Check]:
        assert isinstance(params, UniqueParams)
        label = ", ".join(params.columns)
        column = params.columns[0] if len(params.columns) == 1 else None
        name = params.name or f"unique({label})"
        return [Check(self, params, name, column, tuple(params.columns))]

    def considered(self, check: Check, ctx: ScanContext) -> exp.Expr:
        keys = [not_null_condition(ctx.column(c)) for c in check.columns]
        return filtered(check, ctx, exp.and_(*keys) if len(keys) > 1 else keys[0])

    def _duplicate_keys(self, check: Check, ctx: ScanContext, *outputs: exp.Expr) -> exp.Select:
        keys = [ctx.column(c) for c in check.columns]
        return (
            exp.select(*outputs)
            .from_(ctx.relation.copy())
            .where(self.considered(check, ctx))
            .group_by(*keys)
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        )

    def metrics(self, check: Check, ctx: ScanContext) -> dict[str, exp.Expr]:
        return {
            "considered": count_if(self.considered(check, ctx)),
            "duplicates": self._duplicates(check, ctx),
        }

    def _duplicates(self, check: Check, ctx: ScanContext) -> exp.Expr:
        """One text value from one grouping: ``<failed rows>/<smallest duplicated keys>``.

        Each key is its rank followed by its columns' texts, each written
        ``<length>:<text>`` (lengths in characters; texts by the engine's ``key_text``), so any text survives the trip without
        an engine-specific array type.
        """
        names = [f"k{i}" for i in range(len(check.columns))]
        keys = [ctx.column(c) for c in check.columns]
        groups = self._duplicate_keys(
            check,
            ctx,
            *(exp.alias_(key, name) for key, name in zip(keys, names, strict=True)),
            exp.alias_(exp.Count(this=exp.Star()), "n"),
        )
        order = [exp.column(n) for n in names]
        smallest = exp.select(*names).from_(_GROUPS).order_by(*order).limit(SAMPLE_KEYS)
        # Aggregates concatenate in no promised order: each key carries its rank.
        rank = exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=order))
        encoded: list[exp.Expr] = []
        texts = [_text(rank), *(ctx.engine.key_text(exp.column(n)) for n in names)]
        for text in texts:
            size = _text(ctx.engine.length(text.copy()))
            encoded += [size, exp.Literal.string(":"), text]
        listed = exp.select(
            exp.GroupConcat(this=exp.column("e"), separator=exp.Literal.string(""))
        ).from_(
            exp.select(exp.alias_(_concat(encoded), "e"))
            .from_(smallest.subquery("smallest"))
            .subquery("ranked")
        )
        failed = exp.Coalesce(this=exp.Sum(this=exp.column("n")), expressions=[_zero()])
        both = _concat(
            [
                _text(failed),
                exp.Literal.string("/"),
                exp.Coalesce(this=listed.subquery(), expressions=[exp.Literal.string("")]),
            ]
        )
        query = exp.select(both).from_(_GROUPS).with_(_GROUPS, as_=groups, materialized=True)
        return query.subquery()

    def evaluate(self, check: Check, values: Mapping[str, Any], ctx: ScanContext) -> Outcome:
        considered = int(values["considered"] or 0)
        failed, _ = _split(values["duplicates"])
        label = " and ".join(check.columns)
        return judge_rows(check, considered, failed, f"share a duplicated {label}")

    def failing_rows(
        self,
        check: Check,
        ctx: ScanContext,
        limit: int,
        values: Mapping[str, Any] | None = None,
    ) -> exp.Select | None:
        keys = [ctx.column(c) for c in check.columns]
        found = _decode(_split(values["duplicates"])[1], len(keys)) if values else None
        # Every duplicated key has two rows or more: the first ``limit`` rows in key order
        # have one of the ``limit`` smallest keys. Fewer literals keep the filter cheap.
        found = found[:limit] if found is not None else None
        if found is None:  # no keys at hand: find them with a second grouping
            duplicates = self._duplicate_keys(check, ctx, *keys)
            target: exp.Expr = keys[0] if len(keys) == 1 else exp.Tuple(expressions=keys)
            among: exp.Expr = exp.In(this=target.copy(), query=duplicates.subquery())
        elif not found:
            return None
        else:
            among = _matching(keys, found, ctx)
        return (
            ctx.rows()
            .where(exp.and_(self.considered(check, ctx), among))
            .order_by(*(k.copy() for k in keys))
            .limit(limit)
        )

    def valid(self, check: Check, ctx: ScanContext) -> exp.Expr:
        raise NotImplementedError("unique counts rows through a grouped subquery")

    def problem(self, check: Check) -> str:
        return "share a duplicated key"


def _text(value: exp.Expr) -> exp.Expr:
    return exp.cast(value, exp.DataType.build("text"))


def _zero() -> exp.Expr:
    return exp.Literal.number(0)


def _concat(parts: list[exp.Expr]) -> exp.Expr:
    joined = parts[0]
    for part in parts[1:]:
        joined = exp.DPipe(this=joined, expression=part, safe=True)
    return joined


def _split(value: Any) -> tuple[int, str]:
    """``"12/7:1000011..."`` → (12, ``"7:1000011..."``); plain counts pass through."""
    if value is None:
        return 0, ""
    if isinstance(value, str):
        count, _, keys = value.partition("/")
        return int(count or 0), keys
    return int(value), ""


def _decode(text: str, width: int) -> list[tuple[str, ...]] | None:
    """The keys, smallest first, from ``<length>:<text>`` items: a rank, then ``width``
    column texts per key (None: garbled)."""
    items: list[str] = []
    position = 0
    try:
        while position < len(text):
            colon = text.index(":", position)
            start = colon + 1
            end = start + int(text[position:colon])
            if end > len(text):
                return None
            items.append(text[start:end])
            position = end
    except ValueError:
        return None
    if len(items) % (width + 1):
        return None
    ranked = [items[i : i + width + 1] for i in range(0, len(items), width + 1)]
    if not all(key[0].isdigit() for key in ranked):
        return None
    return [tuple(key[1:]) for key in sorted(ranked, key=lambda key: int(key[0]))]


def _matching(keys: list[exp.Column], found: list[tuple[str, ...]], ctx: ScanContext) -> exp.Expr:
    """Rows whose key's text is one of ``found`` (typed by the engine, see ``text_key``)."""
    engine = ctx.engine
    compared = [engine.text_key(key.copy()) for key in keys]
    if len(keys) == 1:
        return exp.In(
            this=compared[0], expressions=[engine.key_literal(texts[0]) for texts in found]
        )
    return exp.or_(
        *(
            exp.and_(
                *(
                    exp.EQ(this=value.copy(), expression=engine.key_literal(text))
                    for value, text in zip(compared, texts, strict=True)
                )
            )
            for texts in found
        )
    )
