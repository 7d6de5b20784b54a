"""Which columns outlier scoring reads, and their values as a float matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from datasteward.checks.schema import type_family
from datasteward.errors import UsageError, did_you_mean

if TYPE_CHECKING:
    import pyarrow as pa

    from datasteward.engines.base import Column

__all__ = ["choose_columns", "to_matrix"]

_NUMERIC = {"integer", "double", "decimal"}
# Booleans score as 0/1 when asked for by name; by default they add little but noise.
_ACCEPTED = _NUMERIC | {"boolean"}


def choose_columns(
    dataset: str,
    columns: Sequence[Column],
    requested: Sequence[str] | None,
    key: Sequence[str] = (),
) -> list[str]:
    """The requested columns (checked), or every numeric column outside the dataset key."""
    types = {c.name: c.type for c in columns}
    numeric = [c.name for c in columns if type_family(c.type) in _NUMERIC]
    if not requested:
        chosen = [name for name in numeric if name not in key]
        if not chosen:
            raise UsageError(
                f"dataset {dataset!r} has no numeric columns to score"
                + (" besides its key" if numeric else ""),
                hint="name columns with --columns",
            )
        return chosen
    for name in requested:
        if name not in types:
            raise UsageError(
                f"--columns: column {name!r} not found in dataset {dataset!r}",
                hint=did_you_mean(name, types) or f"columns: {', '.join(list(types)[:12])}",
            )
        if type_family(types[name]) not in _ACCEPTED:
            raise UsageError(
                f"--columns: column {name!r} of dataset {dataset!r} is {types[name]}, "
                "not numeric; outliers scores numbers only",
                hint=f"numeric columns: {', '.join(numeric[:12]) or 'none'}",
            )
    return list(dict.fromkeys(requested))


def to_matrix(data: pa.RecordBatch | pa.Table, columns: Sequence[str]) -> np.ndarray:
    """The columns as a float matrix (one row per row, one column per column), NULL as NaN."""
    import pyarrow as pa
    import pyarrow.compute as pc

    matrix = np.empty((data.num_rows, len(columns)), dtype=np.float64)
    for i, name in enumerate(columns):
        values = data.column(name)
        try:
            floats = pc.cast(values, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise UsageError(
                f"column {name!r} holds values that are not numbers ({values.type})",
                hint="choose other columns with --columns",
            ) from None
        matrix[:, i] = floats.to_numpy(zero_copy_only=False)
    return matrix
