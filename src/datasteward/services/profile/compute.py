"""Profile a dataset where it lives: every number is an aggregate the engine computes.

The order of work: one wide aggregate query (counts, extremes, moments, text lengths,
Pearson correlations); then, using its answers, one bitmap scan that proves integer and
timestamp columns unique (DuckDB; ``proofs``); per other column ONE GROUP BY that gives
its exact distinct count, top values, quantiles and histogram (``distribution``), and
queries for text patterns and rows per day; quantiles and histograms of unique numeric
columns; Spearman in a sample; Cramér's V tables from one GROUP BY; and probes for
candidate keys made of two columns. Only aggregated rows ever reach Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from datasteward.engines.base import Column, Engine, QueryError
from datasteward.errors import SourceError, UsageError
from datasteward.services.profile.distribution import distribution_query, read_distribution
from datasteward.services.profile.model import (
    QUANTILES,
    ColumnProfile,
    DailyRows,
    LengthStats,
    Profile,
    SampleSize,
    ValueCount,
)
from datasteward.services.profile.proofs import is_dense, unique_by_range
from datasteward.services.profile.queries import (
    ProfiledColumn,
    basics_query,
    daily_rows_query,
    exact_distinct_query,
    pattern_query,
    quantile_rows_query,
    quantiles_query,
)
from datasteward.services.profile.relations import (
    binning_for,
    candidate_keys,
    correlations,
    dense_histogram,
    histogram_of,
    histograms,
    sampled,
)
from datasteward.services.profile.stats import interpolate_quantiles, quantile_positions

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.services.sources import SourcePool

__all__ = ["ProfileOptions", "profile_dataset", "profile_relation"]

_MAX_DAYS = 100_000
#: Text columns with more distinct values than this get their patterns from a sample.
PATTERN_VALUES = 100_000
PATTERN_SAMPLE_ROWS = 100_000
#: With --approx, columns a sketch finds this unique get no top values.
NEARLY_UNIQUE = 0.9


@dataclass(frozen=True)
class ProfileOptions:
    """What to compute: ``approx`` distinct counts, a ``sample``, list lengths, bins."""

    approx: bool = False
    sample: SampleSize | None = None
    top: int = 10
    bins: int = 20
    #: Correlations between at most this many numeric (and categorical) columns.
    max_correlated_columns: int = 25


Progress = Callable[[str], None]


def profile_dataset(
    project: Project,
    dataset: str,
    options: ProfileOptions | None = None,
    *,
    pool: SourcePool | None = None,
    progress: Progress | None = None,
) -> Profile:
    """Profile a configured dataset in its engine (``pool`` reuses open sources)."""
    from datasteward.services.selection import select_datasets
    from datasteward.services.sources import SourcePool

    (name,) = select_datasets(project, [dataset])
    own_pool = pool is None
    pool = pool or SourcePool(project)
    try:
        ref = pool.dataset(name)
        return profile_relation(
            ref.engine, ref.relation, ref.columns, dataset=name, options=options, progress=progress
        )
    finally:
        if own_pool:
            pool.close()


def profile_relation(
    engine: Engine,
    relation: exp.Expr,
    columns: Sequence[Column],
    *,
    dataset: str,
    options: ProfileOptions | None = None,
    progress: Progress | None = None,
) -> Profile:
    """Profile any relation of an engine (a table, a file reader, a subquery)."""
    options = options or ProfileOptions()
    if options.top < 1 or options.bins < 1:
        raise UsageError("the number of top values and of histogram bins must be at least 1")
    started = time.perf_counter()
    try:
        return _Profiler(engine, dataset, options, progress or (lambda _: None)).run(
            relation, list(columns), started
        )
    except QueryError as error:
        raise SourceError(f"dataset {dataset!r}: {error}") from None


class _Profiler:
    def __init__(
        self, engine: Engine, dataset: str, options: ProfileOptions, progress: Progress
    ) -> None:
        self.engine = engine
        self.dataset = dataset
        self.options = options
        self.progress = progress
        self.notes: list[str] = []
        # Without a sketch an "approximate" count would be the exact one, computed twice.
        self.sketch = options.approx and engine.approx_distinct_error is not None
        self.pearson: dict[tuple[int, int], Any] = {}  # computed with the basics

    def run(self, relation: exp.Expr, columns: list[Column], started: float) -> Profile:
        total = None
        if self.options.sample is not None:
            self.progress("counting rows")
            total = self.engine.row_count(relation)
            rows = self.options.sample.rows_of(total)
            if rows < total:
                relation = sampled(self.engine, relation, total, rows)
                self.notes.append("candidate keys are unique within the sample only")
        specs = ProfiledColumn.of(columns)
        self.progress("computing column statistics")
        row_count, profiles = self._basics(relation, specs)
        profiles = self._details(relation, specs, profiles)
        self.progress("computing correlations")
        found = correlations(
            self.engine, relation, specs, profiles, self.options, self.notes, self.pearson
        )
        self.progress("looking for candidate keys")
        exact = self._exact_distinct(relation, specs, profiles)
        keys = candidate_keys(self.engine, relation, specs, profiles, exact, row_count)
        return Profile(
            dataset=self.dataset,
            engine=self.engine.dialect,
            row_count=row_count,
            columns=profiles,
            correlations=found,
            candidate_keys=keys,
            seconds=time.perf_counter() - started,
            distinct_error=self.engine.approx_distinct_error if self.sketch else None,
            sample=self.options.sample,
            total_rows=total,
            notes=self.notes,
        )

    # -- the wide aggregate ------------------------------------------------------------
    def _basics(
        self, relation: exp.Expr, specs: list[ProfiledColumn]
    ) -> tuple[int, list[ColumnProfile]]:
        numeric = [s for s in specs if s.kind == "numeric"]
        # Pearson needs no other answer first: counted in this scan when the columns are few.
        correlated = numeric if len(numeric) <= self.options.max_correlated_columns else []
        # Without a sketch every text column gets a GROUP BY, which gives its extremes and
        # lengths for less than the rows would.
        query = basics_query(
            self.engine,
            relation,
            specs,
            approx=self.sketch,
            correlated=correlated,
            text=self.sketch,
        )
        row = self.engine.fetch(query).as_dicts()[0]
        row_count = int(row["row_count"])
        self.pearson = {
            (a.index, b.index): row[f"pearson_{a.index}_{b.index}"]
            for i, a in enumerate(correlated)
            for b in correlated[i + 1 :]
        }
        profiles = []
        for spec in specs:
            present = int(row[spec.alias("count")])
            distinct = row.get(spec.alias("distinct"))
            low, high = row.get(spec.alias("min")), row.get(spec.alias("max"))
            if spec.kind == "boolean":
                low, high = _as_bool(low), _as_bool(high)
            profiles.append(
                ColumnProfile(
                    name=spec.name,
                    type=spec.type,
                    kind=spec.kind,
                    row_count=row_count,
                    missing_count=row_count - present,
                    distinct_count=None if distinct is None else min(int(distinct), present),
                    distinct_exact=distinct is None,
                    min=low,
                    max=high,
                    mean=_float(row.get(spec.alias("mean"))),
                    stddev=_float(row.get(spec.alias("stddev"))),
                    lengths=_lengths(row, spec) if spec.kind == "string" and self.sketch else None,
                )
            )
        return row_count, profiles

    # -- per-column GROUP BYs ----------------------------------------------------------
    def _details(
        self, relation: exp.Expr, specs: list[ProfiledColumn], profiles: list[ColumnProfile]
    ) -> list[ColumnProfile]:
        unique = unique_by_range(self.engine, relation, specs, profiles)
        grouped = {
            s.index
            for s, p in zip(specs, profiles, strict=True)
            if s.kind != "other" and s.index not in unique and not _nearly_unique(p)
        }
        self.progress("computing histograms")
        profiles = self._ungrouped_numbers(relation, specs, profiles, grouped, unique)
        result = []
        for spec, profile in zip(specs, profiles, strict=True):
            self.progress(f"profiling column {spec.name}")
            if spec.index in unique:
                # Every value occurs once: that is the whole list of frequencies.
                profile = replace(
                    profile, distinct_count=profile.present_count, distinct_exact=True
                )
            elif spec.index in grouped:
                profile = self._distribution(relation, spec, profile)
            if spec.kind == "string" and profile.present_count:
                profile = self._patterns(relation, spec, profile)
            if spec.kind == "temporal" and profile.present_count:
                profile = replace(profile, rows_per_day=self._daily_rows(relation, spec))
            result.append(profile)
        return result

    def _distribution(
        self, relation: exp.Expr, spec: ProfiledColumn, profile: ColumnProfile
    ) -> ColumnProfile:
        """Exact distinct count, top values (none when every value differs), and for
        numbers the quantiles and histogram, all from one GROUP BY."""
        fractions = [f for _, f in QUANTILES]
        numeric = spec.kind == "numeric" and profile.present_count > 0
        positions = quantile_positions(profile.present_count, fractions) if numeric else []
        binning = binning_for(spec, profile, self.options.bins)
        text = spec.kind == "string" and profile.lengths is None
        length = self.engine.length(exp.column("v")) if text else None
        query = distribution_query(relation, spec, self.options.top, positions, binning, length)
        found = read_distribution(self.engine.fetch(query).rows, positions)
        convert = _as_bool if spec.kind == "boolean" else (lambda value: value)
        top = [ValueCount(convert(value), n) for value, n in found.top]
        unique = found.distinct >= profile.present_count
        profile = replace(
            profile,
            distinct_count=found.distinct,
            distinct_exact=True,
            top_values=[] if unique else top,
            histogram=[] if binning is None else histogram_of(binning, found.bins),
        )
        if text:
            shortest, longest, characters = found.lengths
            mean = None if characters is None else characters / profile.present_count
            lengths = LengthStats(shortest, longest, mean)
            profile = replace(profile, min=found.low, max=found.high, lengths=lengths)
        if numeric:
            values = interpolate_quantiles(profile.present_count, fractions, found.at)
            profile = replace(profile, quantiles=_quantiles(values))
        return profile

    def _ungrouped_numbers(
        self,
        relation: exp.Expr,
        specs: list[ProfiledColumn],
        profiles: list[ColumnProfile],
        grouped: set[int],
        unique: set[int],
    ) -> list[ColumnProfile]:
        """Quantiles and histograms of the numeric columns no GROUP BY will count."""
        fractions = [f for _, f in QUANTILES]
        changed = {}
        pairs = []
        for spec, profile in zip(specs, profiles, strict=True):
            if spec.kind != "numeric" or spec.index in grouped or not profile.present_count:
                continue
            if spec.index in unique and is_dense(spec, profile):
                # Every integer from min to max once: sorted position p holds min + p - 1.
                low, high, count = int(profile.min), int(profile.max), profile.present_count
                at = {p: float(low + p - 1) for p in quantile_positions(count, fractions)}
                binning = binning_for(spec, profile, self.options.bins)
                changed[spec.index] = replace(
                    profile,
                    quantiles=_quantiles(interpolate_quantiles(count, fractions, at)),
                    histogram=[] if binning is None else dense_histogram(binning, low, high),
                )
            else:
                pairs.append((spec, profile))
        if pairs:
            chosen = [s for s, _ in pairs]
            bins = histograms(
                relation, chosen, [p for _, p in pairs], self.options.bins, self.engine
            )
            query = quantiles_query(self.engine, relation, chosen, fractions)
            row = self.engine.fetch(query).as_dicts()[0] if query is not None else None
            for spec, profile in pairs:
                if row is not None:
                    quantiles = _quantiles(row[spec.alias("quantiles")])
                else:
                    quantiles = self._sorted_quantiles(relation, spec, profile)
                histogram = bins.get(spec.index, [])
                changed[spec.index] = replace(profile, quantiles=quantiles, histogram=histogram)
        return [changed.get(s.index, p) for s, p in zip(specs, profiles, strict=True)]

    def _patterns(
        self, relation: exp.Expr, spec: ProfiledColumn, profile: ColumnProfile
    ) -> ColumnProfile:
        """The commonest shapes, from a sample when the values are too many to shape each."""
        source, sample_rows = relation, None
        distinct = profile.distinct_count or 0
        if distinct > PATTERN_VALUES and profile.row_count > PATTERN_SAMPLE_ROWS:
            source = sampled(self.engine, relation, profile.row_count, PATTERN_SAMPLE_ROWS)
            sample_rows = PATTERN_SAMPLE_ROWS
        query = pattern_query(self.engine, source, spec, self.options.top)
        patterns = [ValueCount(str(p), int(n)) for p, n in self.engine.fetch(query).rows]
        return replace(profile, patterns=patterns, patterns_sample_rows=sample_rows)

    def _daily_rows(self, relation: exp.Expr, spec: ProfiledColumn) -> DailyRows:
        rows = self.engine.fetch(daily_rows_query(relation, spec, _MAX_DAYS + 1)).rows
        if len(rows) > _MAX_DAYS:
            self.notes.append(f"{spec.name}: rows per day cut at {_MAX_DAYS:,} days")
        return DailyRows([ValueCount(day, int(n)) for day, n in rows[:_MAX_DAYS]])

    def _sorted_quantiles(
        self, relation: exp.Expr, spec: ProfiledColumn, profile: ColumnProfile
    ) -> dict[str, float | None]:
        """Quantiles from the sorted values, for engines without a quantile aggregate."""
        fractions = [f for _, f in QUANTILES]
        positions = quantile_positions(profile.present_count, fractions)
        query = quantile_rows_query(relation, spec, sorted(set(positions)))
        found = {int(p): float(v) for p, v in self.engine.fetch(query).rows}
        values = interpolate_quantiles(profile.present_count, fractions, found)
        return dict(zip((key for key, _ in QUANTILES), values, strict=True))

    def _exact_distinct(
        self, relation: exp.Expr, specs: list[ProfiledColumn], profiles: list[ColumnProfile]
    ) -> dict[int, int]:
        """Exact distinct counts, counting those a sketch estimated near the row count."""
        pairs = list(zip(specs, profiles, strict=True))
        exact = {
            s.index: p.distinct_count
            for s, p in pairs
            if p.distinct_exact and p.distinct_count is not None
        }
        doubtful = [
            s
            for s, p in pairs
            if not p.distinct_exact and not p.missing_count and _nearly_unique(p)
        ]
        if doubtful:
            row = self.engine.fetch(exact_distinct_query(relation, doubtful)).as_dicts()[0]
            exact |= {s.index: int(row[s.alias("distinct")]) for s in doubtful}
        return exact


def _nearly_unique(profile: ColumnProfile) -> bool:
    """A sketch says (almost) every value differs: skip the GROUP BY of top values."""
    return (
        not profile.distinct_exact
        and profile.distinct_count is not None
        and profile.distinct_count >= NEARLY_UNIQUE * profile.present_count
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _quantiles(values: Any) -> dict[str, float | None]:
    if values is None or all(v is None for v in values):
        return {}
    return {key: _float(v) for (key, _), v in zip(QUANTILES, values, strict=True)}


def _lengths(row: dict[str, Any], spec: ProfiledColumn) -> LengthStats:
    low, high = row.get(spec.alias("len_min")), row.get(spec.alias("len_max"))
    return LengthStats(
        None if low is None else int(low),
        None if high is None else int(high),
        _float(row.get(spec.alias("len_mean"))),
    )
