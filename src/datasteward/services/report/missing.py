"""The missing-value matrix: where in a dataset the NULLs are, by column and row band.

Rows are cut, in stored order, into equal bands, and the engine counts the NULLs of
every column in every band in ONE aggregate query, so only one number per band and column numbers
come back however big the table is. A load that dropped a column for a day shows as a
stripe; values missing at random show as an even tint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    from datasteward.compile.context import DatasetRef

__all__ = ["MissingMatrix", "missing_matrix"]

BANDS = 40
_POSITION, _BAND = "__steward_pos", "__steward_band"


@dataclass(frozen=True)
class MissingMatrix:
    """Share of NULLs per row band (rows in stored order) and column."""

    columns: list[str]
    band_rows: list[int]  # rows in each band, first band first
    fractions: list[list[float]]  # [band][column], 0..1

    @property
    def rows(self) -> int:
        return sum(self.band_rows)

    def band_range(self, band: int) -> tuple[int, int]:
        """The first and last row (1-based) of a band."""
        first = sum(self.band_rows[:band]) + 1
        return first, first + self.band_rows[band] - 1

    def column_fraction(self, column: int) -> float:
        """The share of NULLs of a column over all rows."""
        missing = sum(f[column] * n for f, n in zip(self.fractions, self.band_rows, strict=True))
        return missing / self.rows if self.rows else 0.0


def missing_matrix(dataset: DatasetRef, bands: int = BANDS) -> MissingMatrix | None:
    """Count NULLs per column and row band in one query; None for an empty dataset."""
    if not dataset.columns:
        return None
    flags = [_flag(column.name, i) for i, column in enumerate(dataset.columns)]
    positioned = exp.select(dataset.engine.row_position().as_(_POSITION), *flags).from_(
        dataset.relation.copy()
    )
    ordered = exp.Order(expressions=[exp.Ordered(this=exp.column(_POSITION))])
    band = exp.Window(this=exp.Ntile(this=exp.Literal.number(bands)), order=ordered)
    banded = exp.select(band.as_(_BAND), *(exp.column(f"m{i}") for i in range(len(flags)))).from_(
        positioned.subquery("positioned")
    )
    sums = [exp.Sum(this=exp.column(f"m{i}")).as_(f"m{i}") for i in range(len(flags))]
    query = (
        exp.select(exp.column(_BAND), exp.Count(this=exp.Star()).as_("n"), *sums)
        .from_(banded.subquery("banded"))
        .group_by(exp.column(_BAND))
        .order_by(exp.column(_BAND))
    )
    found = dataset.engine.fetch(query).rows
    if not found:
        return None
    band_rows = [int(row[1]) for row in found]
    fractions = [
        [int(value or 0) / n for value in row[2:]] for row, n in zip(found, band_rows, strict=True)
    ]
    return MissingMatrix([c.name for c in dataset.columns], band_rows, fractions)


def _flag(name: str, index: int) -> exp.Expr:
    is_null = exp.Is(this=exp.column(name, quoted=True), expression=exp.Null())
    flag = exp.Case(ifs=[exp.If(this=is_null, true=exp.Literal.number(1))]).else_(
        exp.Literal.number(0)
    )
    return flag.as_(f"m{index}")
