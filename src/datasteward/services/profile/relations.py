"""Findings that need the per-column basics first: histograms, correlations, candidate keys."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from datasteward.checks.schema import type_family
from datasteward.engines.base import Engine
from datasteward.services.profile.model import Bin, CandidateKey, ColumnProfile, Correlation
from datasteward.services.profile.proofs import duplicate_in_partition
from datasteward.services.profile.queries import (
    Binning,
    ProfiledColumn,
    contingency_query,
    correlation_query,
    duplicate_probe,
    histogram_query,
)
from datasteward.services.profile.stats import cramers_v

if TYPE_CHECKING:
    from datasteward.services.profile.compute import ProfileOptions

__all__ = [
    "binning_for",
    "candidate_keys",
    "correlations",
    "dense_histogram",
    "histogram_of",
    "histograms",
    "sampled",
]

#: Categories with more distinct values than this get no Cramér's V.
MAX_CATEGORIES = 50
#: Cramér's V tables come from one GROUP BY over all the categories when they have at most
#: this many combinations; else from one GROUP BY per pair.
JOINT_CELLS = 1_000_000
#: Two-column keys are looked for among this many of the most varied columns.
KEY_PAIR_COLUMNS = 5
KEY_PROBE_ROWS = 100_000
#: Spearman's ranks need a sort per column: larger tables are ranked in a sample this big.
SPEARMAN_ROWS = 200_000


def binning_for(spec: ProfiledColumn, profile: ColumnProfile, bins: int) -> Binning | None:
    """Equal-width bins from a numeric column's min to its max (None: no histogram)."""
    low, high = _finite(profile.min), _finite(profile.max)
    if spec.kind != "numeric" or not profile.present_count or low is None or high is None:
        return None
    return Binning.of(low, high, bins, integer=type_family(spec.type) == "integer")


def histogram_of(binning: Binning, counts: dict[int, int]) -> list[Bin]:
    edges = binning.edges
    return [Bin(edges[i], edges[i + 1], counts.get(i, 0)) for i in range(binning.count)]


def dense_histogram(binning: Binning, low: int, high: int) -> list[Bin]:
    """The histogram of every integer from ``low`` to ``high`` once, as the bins would count it.

    A value goes to the last bin whose lower edge it reaches (the first bin takes all below).
    """
    counts = {}
    for i in range(binning.count):
        start = low if i == 0 else max(low, math.ceil(binning.edges[i]))
        last = i == binning.count - 1
        stop = high + 1 if last else min(high + 1, math.ceil(binning.edges[i + 1]))
        counts[i] = max(0, stop - start)
    return histogram_of(binning, counts)


def histograms(
    relation: exp.Expr,
    specs: Sequence[ProfiledColumn],
    profiles: Sequence[ColumnProfile],
    bins: int,
    engine: Engine,
) -> dict[int, list[Bin]]:
    """Equal-width histograms of numeric columns, from one query over every row."""
    binnings = []
    for spec, profile in zip(specs, profiles, strict=True):
        if (binning := binning_for(spec, profile, bins)) is not None:
            binnings.append((spec, binning))
    if not binnings:
        return {}
    counts: dict[int, dict[int, int]] = {spec.index: {} for spec, _ in binnings}
    for index, bucket, n in engine.fetch(histogram_query(relation, binnings)).rows:
        found = counts[int(index)]
        found[int(bucket)] = found.get(int(bucket), 0) + int(n)
    return {spec.index: histogram_of(binning, counts[spec.index]) for spec, binning in binnings}


def correlations(
    engine: Engine,
    relation: exp.Expr,
    specs: Sequence[ProfiledColumn],
    profiles: Sequence[ColumnProfile],
    options: ProfileOptions,
    notes: list[str],
    pearson: dict[tuple[int, int], Any] | None = None,
) -> list[Correlation]:
    """Pearson and Spearman between numeric columns; Cramér's V between low-cardinality ones.

    ``pearson``: correlations already computed, by pair of column indexes.
    """
    pairs = list(zip(specs, profiles, strict=True))
    numeric = [s for s, p in pairs if s.kind == "numeric" and p.stddev and p.present_count > 1]
    categorical = [
        s
        for s, p in pairs
        if s.kind in {"string", "boolean"}
        and p.distinct_count is not None
        and 2 <= p.distinct_count <= MAX_CATEGORIES
    ]
    distinct = {s.index: p.distinct_count or 0 for s, p in pairs}
    limit = options.max_correlated_columns
    for label, chosen in (("numeric", numeric), ("categorical", categorical)):
        if len(chosen) > limit:
            notes.append(f"correlations: only the first {limit} of {len(chosen)} {label} columns")
    found: list[Correlation] = []
    if len(numeric) >= 2:
        chosen = numeric[:limit]
        row_count = profiles[0].row_count
        for method, source in (
            ("pearson", relation),
            ("spearman", sampled(engine, relation, row_count, SPEARMAN_ROWS)),
        ):
            query, read = correlation_query(source, chosen, method)
            known = pearson or {}
            if method == "pearson" and all((a.index, b.index) in known for a, b in read):
                row = tuple(known[a.index, b.index] for a, b in read)
            else:
                row = engine.fetch(query).rows[0]
            for (a, b), value in zip(read, row, strict=True):
                found.append(Correlation((a.name, b.name), method, _clipped(value)))
        if row_count > SPEARMAN_ROWS:
            notes.append(f"spearman: computed on a random sample of {SPEARMAN_ROWS:,} rows")
    chosen_pairs = list(combinations(categorical[:limit], 2))
    if chosen_pairs:
        combined = math.prod(distinct[s.index] + 1 for s in categorical[:limit])  # + missing
        tables = contingency_query(relation, chosen_pairs, joint=combined <= JOINT_CELLS)
        cells: dict[int, list[tuple[str, str, int]]] = {}
        for number, a, b, n in engine.fetch(tables).rows:
            cells.setdefault(int(number), []).append((str(a), str(b), int(n)))
        for number, (a, b) in enumerate(chosen_pairs):
            found.append(
                Correlation((a.name, b.name), "cramers_v", cramers_v(cells.get(number, [])))
            )
    return found


def candidate_keys(
    engine: Engine,
    relation: exp.Expr,
    specs: Sequence[ProfiledColumn],
    profiles: Sequence[ColumnProfile],
    exact_distinct: dict[int, int],
    row_count: int,
) -> list[CandidateKey]:
    """Columns, then pairs of columns, whose values are unique and never missing."""
    if row_count == 0:
        return []
    eligible = [
        s
        for s, p in zip(specs, profiles, strict=True)
        if _keyable(s) and not p.missing_count and s.index in exact_distinct
    ]
    singles = [s for s in eligible if exact_distinct[s.index] == row_count]
    keys = [CandidateKey((s.name,)) for s in singles]
    varied = sorted(
        (s for s in eligible if s not in singles and exact_distinct[s.index] > 1),
        key=lambda s: -exact_distinct[s.index],
    )[:KEY_PAIR_COLUMNS]
    for a, b in combinations(sorted(varied, key=lambda s: s.index), 2):
        if exact_distinct[a.index] * exact_distinct[b.index] < row_count:
            continue  # too few combinations to tell every row apart
        # A duplicate among the first rows is a duplicate in the table: cheap to rule out.
        if row_count > KEY_PROBE_ROWS:
            first = exp.select("*").from_(relation.copy()).limit(KEY_PROBE_ROWS)
            if engine.fetch(duplicate_probe(first.subquery("steward_first"), [a, b])).rows:
                continue
            # Duplicates spread over the table: each lies whole in one hash partition.
            if duplicate_in_partition(engine, relation, [a, b]):
                continue
        if not engine.fetch(duplicate_probe(relation, [a, b])).rows:
            keys.append(CandidateKey((a.name, b.name)))
    return keys


def sampled(engine: Engine, relation: exp.Expr, row_count: int, rows: int) -> exp.Expr:
    """The relation itself when it is small enough, else a random sample of ``rows`` rows.

    Where the engine can, a cheap Bernoulli pass first keeps a little more than ``rows``
    rows and the exact sample is drawn from those: still every row equally likely.
    """
    if row_count <= rows:
        return relation
    # Six standard deviations more than needed: short about once in a billion draws.
    share = (rows + 6 * math.sqrt(rows) + 10) / row_count
    first = engine.sample_share(relation, share) if share < 1 / 2 else None
    if first is not None:
        relation = first.subquery("steward_share")
    return engine.sample(relation, rows).subquery("steward_sample")


def _keyable(spec: ProfiledColumn) -> bool:
    """Floating-point numbers and booleans make no keys."""
    if spec.kind == "numeric":
        return type_family(spec.type) in {"integer", "decimal"}
    return spec.kind in {"string", "temporal", "time"}


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _clipped(value: object) -> float | None:
    """Correlations computed in floating point can land a hair outside [-1, 1]."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return max(-1.0, min(1.0, number)) if math.isfinite(number) else None
