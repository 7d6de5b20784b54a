"""Score every row of a dataset and keep the most anomalous ones.

The model is fitted on a random sample the engine draws (``Engine.sample``); then the
whole dataset streams through it in Arrow batches, and only a heap of the ``top`` highest
scores survives a batch: memory is bounded by one batch plus ``top`` rows, whatever the
table size.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlglot import exp

from datasteward.engines.base import QueryError
from datasteward.errors import SourceError, UsageError
from datasteward.services.json_values import jsonable
from datasteward.services.outliers.columns import choose_columns, to_matrix
from datasteward.services.outliers.model import Contamination, Deviation, OutlierModel
from datasteward.services.sources import SourcePool

if TYPE_CHECKING:
    import pyarrow as pa

    from datasteward.compile.context import DatasetRef
    from datasteward.config.models import Project

__all__ = ["Outlier", "OutlierListener", "OutlierReport", "find_outliers"]

DEFAULT_SAMPLE_ROWS = 100_000


@dataclass(frozen=True)
class Outlier:
    """One anomalous row: its score, its values and the values that stand out."""

    score: float
    flagged: bool  # beyond the threshold the contamination sets
    row: dict[str, Any]
    reasons: list[Deviation]

    def to_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 6),
            "flagged": self.flagged,
            "row": jsonable(self.row),
            "reasons": [
                {
                    "column": d.column,
                    "value": jsonable(self.row.get(d.column)),
                    "z": round(d.z, 3),
                    "expected": None if d.expected is None else round(d.expected, 6),
                    "z_given_others": _rounded(d.z_given_others),
                }
                for d in self.reasons
            ],
        }


@dataclass(frozen=True)
class OutlierReport:
    dataset: str
    columns: list[str]
    rows_scored: int
    sample_rows: int
    contamination: Contamination
    threshold: float | None  # scores above it are flagged (None: nothing was scored)
    flagged_rows: int
    outliers: list[Outlier]
    key: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "columns": self.columns,
            "rows_scored": self.rows_scored,
            "sample_rows": self.sample_rows,
            "contamination": self.contamination,
            "threshold": _rounded(self.threshold),
            "flagged_rows": self.flagged_rows,
            "outliers": [o.to_json() for o in self.outliers],
        }


@dataclass
class OutlierListener:
    """Callbacks a door can use to show progress (all optional)."""

    scoring_started: Callable[[int], None] | None = None  # rows in the dataset
    batch_scored: Callable[[int], None] | None = None  # rows in the batch just scored


def find_outliers(
    project: Project,
    dataset: str,
    *,
    columns: Sequence[str] | None = None,
    top: int = 20,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    contamination: Contamination = "auto",
    batch_rows: int = 65_536,
    listener: OutlierListener | None = None,
) -> OutlierReport:
    """The ``top`` most anomalous rows of a dataset, scored on the chosen numeric columns."""
    from datasteward.services.selection import select_datasets

    _check_options(top, sample_rows, contamination)
    (name,) = select_datasets(project, [dataset])
    key = list(project.datasets[name].key)
    with SourcePool(project) as pool:
        ref = pool.dataset(name)
        chosen = choose_columns(name, ref.columns, columns, key)
        try:
            total = ref.engine.row_count(ref.relation)
            sample = _read_sample(ref, chosen, sample_rows, total, batch_rows)
            if not len(sample):
                return OutlierReport(name, chosen, 0, 0, contamination, None, 0, [], key)
            model = OutlierModel(chosen, sample, contamination)
            if listener and listener.scoring_started:
                listener.scoring_started(total)
            best, scored, flagged = _score_all(ref, model, top, batch_rows, listener)
        except QueryError as error:
            raise SourceError(f"dataset {name!r}: {error}") from None
    outliers = [
        Outlier(score, score > model.threshold, row, model.explain(values))
        for score, row, values in best.ranked()
    ]
    return OutlierReport(
        name, chosen, scored, len(sample), contamination, model.threshold, flagged, outliers, key
    )


class TopRows:
    """The ``size`` highest-scoring rows seen so far (ties keep the earlier row)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._heap: list[tuple[float, int, dict[str, Any], np.ndarray]] = []

    def offer(
        self, batch: pa.RecordBatch, matrix: np.ndarray, scores: np.ndarray, first: int
    ) -> None:
        """Consider a scored batch whose first row is the ``first`` row of the dataset."""
        candidates = np.arange(len(scores))
        if len(scores) > self.size:
            candidates = np.argpartition(-scores, self.size - 1)[: self.size]
        for i in candidates:
            rank = (float(scores[i]), -(first + int(i)))
            if len(self._heap) >= self.size and rank <= self._heap[0][:2]:
                continue
            item = (*rank, batch.slice(int(i), 1).to_pylist()[0], matrix[i].copy())
            if len(self._heap) < self.size:
                heapq.heappush(self._heap, item)
            else:
                heapq.heapreplace(self._heap, item)

    def ranked(self) -> list[tuple[float, dict[str, Any], np.ndarray]]:
        """Highest score first."""
        ordered = sorted(self._heap, key=lambda item: item[:2], reverse=True)
        return [(score, row, values) for score, _, row, values in ordered]


def _read_sample(
    ref: DatasetRef, columns: list[str], rows: int, total: int, batch_rows: int
) -> np.ndarray:
    """The chosen columns of about ``rows`` random rows (all rows of a smaller dataset)."""
    source: exp.Expr = ref.relation.copy()
    if total > rows:
        source = ref.engine.sample(ref.relation, rows).subquery("steward_sample")
    query = exp.select(*(exp.column(c, quoted=True) for c in columns)).from_(source)
    return to_matrix(ref.engine.stream(query, batch_rows).read_all(), columns)


def _score_all(
    ref: DatasetRef,
    model: OutlierModel,
    top: int,
    batch_rows: int,
    listener: OutlierListener | None,
) -> tuple[TopRows, int, int]:
    """Stream every row through the model: the best rows, rows scored, rows flagged."""
    best = TopRows(top)
    scored = flagged = 0
    reader = ref.engine.stream(exp.select("*").from_(ref.relation.copy()), batch_rows)
    for batch in reader:
        matrix = to_matrix(batch, model.columns)
        scores = model.scores(matrix)
        best.offer(batch, matrix, scores, scored)
        scored += batch.num_rows
        flagged += int(np.count_nonzero(scores > model.threshold))
        if listener and listener.batch_scored:
            listener.batch_scored(batch.num_rows)
    return best, scored, flagged


def _check_options(top: int, sample_rows: int, contamination: Contamination) -> None:
    if top < 1:
        raise UsageError(f"--top must be at least 1, not {top}")
    if sample_rows < 2:
        raise UsageError(f"--sample must be at least 2 rows, not {sample_rows}")
    if contamination != "auto" and not 0 < contamination <= 0.5:
        raise UsageError(
            f"--contamination must be 'auto' or a share in (0, 0.5], not {contamination}"
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
