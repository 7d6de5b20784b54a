"""Outliers: rows whose numbers are unusual, alone or in combination (isolation forest)."""

from __future__ import annotations

from datasteward.services.outliers.model import Contamination, Deviation
from datasteward.services.outliers.search import (
    DEFAULT_SAMPLE_ROWS,
    Outlier,
    OutlierListener,
    OutlierReport,
    find_outliers,
)

__all__ = [
    "DEFAULT_SAMPLE_ROWS",
    "Contamination",
    "Deviation",
    "Outlier",
    "OutlierListener",
    "OutlierReport",
    "find_outliers",
]
