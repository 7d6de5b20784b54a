"""``drift: {column, reference, method, max}`` — has the distribution moved?

The reference distribution comes from a snapshot (``last_snapshot``, a time, or a
snapshot id), computed in DuckDB over the snapshot's chunks: quantile bin edges and
counts for numbers, value frequencies for categories. The current distribution is a set
of COUNT terms in the dataset's one query. Methods: ``psi`` (population stability
index), ``ks`` (largest gap between the two CDFs at the bin edges) and ``chi2``
(Cramér's V of the two frequency tables, 0-1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from datasteward.checks.base import (
    Check,
    CheckDefinition,
    Outcome,
    count_if,
    filtered,
    reject_row_options,
)
from datasteward.checks.literals import literal
from datasteward.checks.row_level import ColumnParams, not_null_condition
from datasteward.checks.schema import type_family
from datasteward.errors import CheckDefinitionError

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext

__all__ = ["Drift", "ReferenceDistribution"]

_EPSILON = 1e-4


@dataclass(frozen=True)
class ReferenceDistribution:
    """Counts of the reference: by bin (``edges`` inner bounds) or by category."""

    snapshot_id: str
    counts: list[int]
    edges: list[float] | None = None  # numeric: len(counts) - 1 inner edges
    categories: list[Any] | None = None  # categorical: len(counts) - 1 values, then "other"


class DriftParams(ColumnParams):
    reference: str = "last_snapshot"
    method: Literal["psi", "ks", "chi2"] | None = None
    max: float = Field(default=0.2, ge=0)
    bins: int = Field(default=10, ge=2, le=100)

    @model_validator(mode="after")
    def _no_row_options(self) -> DriftParams:
        # The reference snapshot is not filtered, so a where would compare unlike sets.
        reject_row_options(self, "drift")
        return self


class Drift(CheckDefinition):
    type_name = "drift"
    Params = DriftParams

    def expand(self, params: Any) -> list[Check]:
        return [Check(self, params, params.name or f"drift({params.column})", params.column)]

    def _numeric(self, check: Check, ctx: ScanContext) -> bool:
        assert check.column
        return type_family(ctx.column_type(check.column) or "") in {"integer", "double", "decimal"}

    def _method(self, check: Check, ctx: ScanContext) -> str:
        assert isinstance(check.params, DriftParams)
        method = check.params.method or ("psi" if self._numeric(check, ctx) else "chi2")
        if method in {"psi", "ks"} and not self._numeric(check, ctx):
            raise CheckDefinitionError(f"{method} needs a numeric column; use method: chi2")
        return method

    def _reference(self, check: Check, ctx: ScanContext) -> ReferenceDistribution:
        assert isinstance(check.params, DriftParams) and check.column
        if ctx.reference is None:
            raise CheckDefinitionError("drift needs a backup repository for its reference")
        bins = max(check.params.bins, 20) if self._method(check, ctx) == "ks" else check.params.bins
        return ctx.reference(
            ctx.dataset, check.params.reference, check.column, self._numeric(check, ctx), bins
        )

    def metrics(self, check: Check, ctx: ScanContext) -> dict[str, exp.Expr]:
        assert check.column
        reference = self._reference(check, ctx)
        value = ctx.column(check.column)
        present = filtered(check, ctx, not_null_condition(value.copy()))
        terms: dict[str, exp.Expr] = {"total": count_if(present)}
        if reference.edges is not None:
            for index, edge in enumerate(reference.edges):
                below = exp.LT(this=value.copy(), expression=exp.Literal.number(edge))
                terms[f"below{index}"] = count_if(exp.and_(present.copy(), below))
        else:
            for index, category in enumerate(reference.categories or []):
                equal = exp.EQ(this=value.copy(), expression=literal(category))
                terms[f"is{index}"] = count_if(exp.and_(present.copy(), equal))
        return terms

    def evaluate(self, check: Check, values: Mapping[str, Any], ctx: ScanContext) -> Outcome:
        assert isinstance(check.params, DriftParams)
        reference = self._reference(check, ctx)
        method = self._method(check, ctx)
        current = _current_counts(values, reference)
        if sum(current) == 0 or sum(reference.counts) == 0:
            raise CheckDefinitionError("no values to compare (the column is empty)")
        statistic = _STATISTICS[method](reference.counts, current)
        passed = statistic <= check.params.max
        message = (
            f"{method} = {statistic:.4f} against snapshot {reference.snapshot_id} "
            f"({'within' if passed else 'above'} max {check.params.max:g})"
        )
        return Outcome(passed, message, observed=round(statistic, 6))


def _current_counts(values: Mapping[str, Any], reference: ReferenceDistribution) -> list[int]:
    total = int(values["total"] or 0)
    if reference.edges is not None:
        cumulative = [int(values[f"below{i}"] or 0) for i in range(len(reference.edges))]
        bounds = [0, *cumulative, total]
        return [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]
    counts = [int(values[f"is{i}"] or 0) for i in range(len(reference.categories or []))]
    return [*counts, total - sum(counts)]


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [max(c / total, _EPSILON) for c in counts]


def psi(reference: list[int], current: list[int]) -> float:
    expected, actual = _shares(reference), _shares(current)
    return sum((a - e) * math.log(a / e) for e, a in zip(expected, actual, strict=True))


def ks(reference: list[int], current: list[int]) -> float:
    gap, cdf_r, cdf_c = 0.0, 0.0, 0.0
    total_r, total_c = sum(reference), sum(current)
    for r, c in zip(reference, current, strict=True):
        cdf_r += r / total_r
        cdf_c += c / total_c
        gap = max(gap, abs(cdf_r - cdf_c))
    return gap


def cramers_v(reference: list[int], current: list[int]) -> float:
    kept = [(r, c) for r, c in zip(reference, current, strict=True) if r + c > 0]
    if len(kept) < 2:
        return 0.0
    total_r = sum(r for r, _ in kept)
    total_c = sum(c for _, c in kept)
    grand = total_r + total_c
    chi2 = 0.0
    for r, c in kept:
        column_total = r + c
        for observed, row_total in ((r, total_r), (c, total_c)):
            expected = row_total * column_total / grand
            chi2 += (observed - expected) ** 2 / expected
    return math.sqrt(chi2 / grand)


_STATISTICS = {"psi": psi, "ks": ks, "chi2": cramers_v}
