"""An isolation forest fitted on a sample, and why the rows it scores high are unusual.

Every value of a row is compared with two references learnt from the sample:

- its column: a robust z-score, ``(value - median) / (IQR / 1.349)``, which reads like a
  standard z-score for normal data but is not dragged by the outliers themselves;
- the row's other columns: the value a linear fit predicts from them and the residual in
  standard deviations (from the inverse covariance of the sample's ordinary rows). This
  names the columns of an unusual *combination* of ordinary values.

The score is the isolation forest's anomaly score in (0, 1] (about 0.5 or less for
ordinary rows, near 1 for rows a few random cuts isolate), raised for rows with a
deviation beyond what 999 in 1000 sample rows reach: ``1 - (1 - forest) / extremity``.
The forest alone cannot do that: a value far beyond the sample's range is isolated like
the sample's own most extreme row, however far out it is, and axis-parallel cuts barely
see a broken linear relationship between columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["Contamination", "Deviation", "OutlierModel"]

Contamination = float | Literal["auto"]

_IQR_TO_SIGMA = 1.349  # the IQR of a standard normal distribution
_TRIM = 0.05  # share of the sample's highest forest scores left out of the covariance
_RIDGE = 1e-3  # keeps the covariance invertible when columns are constant or collinear
_TAIL = 0.0005  # each tail's share of the sample's deviations that count as ordinary
_RELATED = 0.1  # share of a column's variance the others must explain to predict it


@dataclass(frozen=True)
class Deviation:
    """How far one value of a row is from what the sample makes of it."""

    column: str
    value: float
    z: float  # against the column alone
    expected: float | None  # what the other columns predict (None if they barely can)
    z_given_others: float | None
    extremity: float  # > 1: further out than 999 in 1000 sample values (either kind)


class OutlierModel:
    """Imputation, robust scaling, an isolation forest and deviation tails, from one sample."""

    def __init__(
        self, columns: list[str], sample: np.ndarray, contamination: Contamination, seed: int = 0
    ) -> None:
        from sklearn.ensemble import IsolationForest

        self.columns = columns
        self.center = _medians(sample)
        self.scale = _robust_scale(self._impute(sample))
        scaled = self._scaled(sample)
        # Threads only speed up scoring: the trees depend on the seed alone.
        self.forest = IsolationForest(random_state=seed, n_jobs=-1).fit(scaled)
        forest_scores = -self.forest.score_samples(scaled)
        self._fit_relations(scaled, forest_scores)
        deviations = self._deviations(sample)
        self.low = np.minimum(np.quantile(deviations, _TAIL, axis=0), -1.0)
        self.high = np.maximum(np.quantile(deviations, 1 - _TAIL, axis=0), 1.0)
        final = _raised(forest_scores, self._extremity(deviations).max(axis=1))
        # "auto" is scikit-learn's (and the original paper's) boundary of 0.5.
        self.threshold = (
            0.5 if contamination == "auto" else float(np.quantile(final, 1 - contamination))
        )

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """Scores in (0, 1] of rows of raw values (NaN for NULL); higher is stranger."""
        if not len(matrix):
            return np.empty(0)
        forest = -self.forest.score_samples(self._scaled(matrix))
        return _raised(forest, self._extremity(self._deviations(matrix)).max(axis=1))

    def explain(self, row: np.ndarray, limit: int = 3) -> list[Deviation]:
        """The values of one row that stand out most, strongest first (at least one)."""
        matrix = row.reshape(1, -1)
        deviations = self._deviations(matrix)
        extremity = self._extremity(deviations)[0]
        width = len(self.columns)
        found = []
        for i, name in enumerate(self.columns):
            if np.isnan(row[i]):
                continue  # an imputed NULL is not what stands out
            expected = z_given = None
            if self.related[i]:
                z_given = float(deviations[0, width + i])
                expected = float(row[i] - z_given * self.scale[i] / np.sqrt(self.precision[i, i]))
            strongest = float(extremity[i::width].max())
            found.append(
                Deviation(
                    name, float(row[i]), float(deviations[0, i]), expected, z_given, strongest
                )
            )
        found.sort(key=lambda d: d.extremity, reverse=True)
        beyond = [d for d in found[:limit] if d.extremity > 1.0]
        return beyond or found[:2]

    def _fit_relations(self, scaled: np.ndarray, forest_scores: np.ndarray) -> None:
        """Mean and inverse covariance of the sample without its strangest rows."""
        width = len(self.columns)
        ordinary = scaled
        if len(scaled) > 20:
            ordinary = scaled[forest_scores <= np.quantile(forest_scores, 1 - _TRIM)]
        self.mean = ordinary.mean(axis=0)
        covariance = np.zeros((width, width))
        if len(ordinary) > 1:
            covariance = np.cov(ordinary, rowvar=False).reshape(width, width)
        covariance += _RIDGE * np.eye(width)
        self.precision = np.linalg.inv(covariance)
        # R² of each column's linear fit on the others: 1 - conditional / total variance.
        explained = 1.0 - 1.0 / (np.diag(self.precision) * np.diag(covariance))
        self.related = (explained >= _RELATED) & (width > 1)

    def _deviations(self, matrix: np.ndarray) -> np.ndarray:
        """Per row: the robust z of each value, then (two columns or more) its z given the others."""
        missing = np.isnan(matrix)
        marginal = np.where(missing, 0.0, self._scaled(matrix))
        if len(self.columns) == 1:
            return marginal
        centred = self._conditional_fill(self._scaled(matrix), missing) - self.mean
        given = (centred @ self.precision) / np.sqrt(np.diag(self.precision))
        return np.hstack([marginal, np.where(missing, 0.0, given)])

    def _conditional_fill(self, scaled: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """NULLs replaced by what the row's other values predict (not the median).

        A median in place of a NULL would break the row's relationships and make its other
        values look strange; the conditional mean of a multivariate normal does not.
        """
        filled = scaled.copy()
        patterns, which = np.unique(missing, axis=0, return_inverse=True)
        for number, pattern in enumerate(patterns):
            if not pattern.any():
                continue
            rows = which.reshape(-1) == number
            known = ~pattern
            centred = scaled[np.ix_(rows, known)] - self.mean[known]
            block = self.precision[np.ix_(pattern, pattern)]
            cross = self.precision[np.ix_(pattern, known)]
            guess = self.mean[pattern] - np.linalg.solve(block, cross @ centred.T).T
            filled[np.ix_(rows, pattern)] = guess
        return filled

    def _extremity(self, deviations: np.ndarray) -> np.ndarray:
        """Each deviation as a multiple of the sample's 1-in-2000 deviation on its side."""
        extremity: np.ndarray = np.where(
            deviations >= 0, deviations / self.high, deviations / self.low
        )
        return extremity

    def _impute(self, matrix: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(matrix), self.center, matrix)

    def _scaled(self, matrix: np.ndarray) -> np.ndarray:
        scaled: np.ndarray = (self._impute(matrix) - self.center) / self.scale
        return scaled


def _raised(forest: np.ndarray, extremity: np.ndarray) -> np.ndarray:
    """The forest's scores, moved towards 1 for rows with a deviation beyond the tails."""
    raised: np.ndarray = np.where(
        extremity > 1.0, 1.0 - (1.0 - forest) / np.maximum(extremity, 1.0), forest
    )
    return raised


def _medians(sample: np.ndarray) -> np.ndarray:
    """Per column: the median of its non-NULL values (0 for a column of NULLs only)."""
    medians = np.zeros(sample.shape[1])
    for i in range(sample.shape[1]):
        present = sample[~np.isnan(sample[:, i]), i]
        if len(present):
            medians[i] = np.median(present)
    return medians


def _robust_scale(filled: np.ndarray) -> np.ndarray:
    """Per column: IQR in sigma units; the standard deviation where the IQR is 0; else 1."""
    if not len(filled):
        return np.ones(filled.shape[1])
    q25, q75 = np.percentile(filled, [25, 75], axis=0)
    scale = (q75 - q25) / _IQR_TO_SIGMA
    spread = filled.std(axis=0)
    scale = np.where(scale > 0, scale, spread)
    return np.where(scale > 0, scale, 1.0)
