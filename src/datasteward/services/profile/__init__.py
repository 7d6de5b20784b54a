"""Profiling: what a dataset's columns hold, computed by the engine where the data lives.

``profile_dataset(project, name, ProfileOptions(...))`` returns a ``Profile``;
``Profile.to_json()`` is the ``steward profile --format json`` contract and
``render_html(profile)`` / ``render_fragment(profile)`` its standalone page and the part a
larger report embeds.
"""

from __future__ import annotations

from datasteward.services.profile.compute import ProfileOptions, profile_dataset, profile_relation
from datasteward.services.profile.model import (
    QUANTILES,
    Bin,
    CandidateKey,
    ColumnProfile,
    Correlation,
    DailyRows,
    LengthStats,
    Profile,
    SampleSize,
    ValueCount,
)

__all__ = [
    "QUANTILES",
    "Bin",
    "CandidateKey",
    "ColumnProfile",
    "Correlation",
    "DailyRows",
    "LengthStats",
    "Profile",
    "ProfileOptions",
    "SampleSize",
    "ValueCount",
    "profile_dataset",
    "profile_relation",
]
