"""Cheap proofs that spare a profile its most expensive work: GROUP BYs over millions of values.

* **Unique by a bitmap.** Integers (and timestamps in whole seconds, dates in whole days)
  that all lie in a known range ``[min, max]`` are counted exactly by setting one bit per
  value (DuckDB's ``bitstring_agg``): when as many bits are set as there are values, every
  value differs, and the column needs no GROUP BY for its top values. All such columns
  are tested in one scan.
* **A duplicate by a hash partition.** Equal value combinations have equal hashes, so a
  duplicate lies entirely inside one hash partition: a GROUP BY over one partition
  finds it (a proof), at a fraction of the cost of grouping every row.

Each needs an engine shortcut (``Engine.distinct_in_range``, ``Engine.hash``); engines
without one take the general way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from datasteward.checks.schema import type_family
from datasteward.engines.base import Engine
from datasteward.services.profile.model import ColumnProfile
from datasteward.services.profile.queries import ProfiledColumn, duplicate_probe

__all__ = ["UNITS", "duplicate_in_partition", "is_dense", "unique_by_range"]

#: The unit (in microseconds) a temporal column is counted in, by type family.
UNITS = {"timestamp": 1_000_000, "date": 86_400_000_000}
#: A duplicate among this many first rows rules a column out before its bitmap is counted.
FIRST_ROWS = 100_000
#: Hash partitions probed for a duplicate: one of this many.
PARTITIONS = 8


@dataclass(frozen=True)
class _RangeTest:
    spec: ProfiledColumn
    value: exp.Expr  # the column as an integer
    low: int
    high: int
    whole: exp.Expr | None  # true for every row whose value is a whole unit (temporal only)


def unique_by_range(
    engine: Engine,
    relation: exp.Expr,
    specs: Sequence[ProfiledColumn],
    profiles: Sequence[ColumnProfile],
) -> set[int]:
    """The indexes of the columns whose present values provably all differ."""
    tests = [
        t
        for s, p in zip(specs, profiles, strict=True)
        if (t := _range_test(engine, s, p)) is not None
    ]
    tests = _without_early_duplicates(engine, relation, tests)
    if not tests:
        return set()
    terms: list[exp.Expr] = []
    for test in tests:
        inside: exp.Expr = exp.Between(
            this=test.value.copy(),
            low=exp.Literal.number(test.low),
            high=exp.Literal.number(test.high),
        )
        if test.whole is not None:
            inside = exp.and_(test.whole.copy(), inside)
        counted = exp.Case(ifs=[exp.If(this=inside, true=test.value.copy())])
        bits = engine.distinct_in_range(counted, test.low, test.high)
        assert bits is not None
        terms += [
            exp.alias_(bits, test.spec.alias("bits")),
            exp.alias_(exp.Count(this=counted.copy()), test.spec.alias("inside")),
        ]
    row = engine.fetch(exp.select(*terms).from_(relation.copy())).as_dicts()[0]
    present = {s.index: p.present_count for s, p in zip(specs, profiles, strict=True)}
    return {
        t.spec.index
        for t in tests
        if row[t.spec.alias("bits")] is not None
        # Every value was inside the range, and each set its own bit.
        and int(row[t.spec.alias("inside")]) == present[t.spec.index]
        and int(row[t.spec.alias("bits")]) == present[t.spec.index]
    }


def _without_early_duplicates(
    engine: Engine, relation: exp.Expr, tests: list[_RangeTest]
) -> list[_RangeTest]:
    """The tests left once columns with a duplicate among the first rows are ruled out."""
    if not tests:
        return tests
    first = exp.select("*").from_(relation.copy()).limit(FIRST_ROWS).subquery("steward_first")
    terms = []
    for test in tests:
        ref = test.spec.ref
        terms += [
            exp.alias_(exp.Count(this=exp.Distinct(expressions=[ref])), test.spec.alias("d")),
            exp.alias_(exp.Count(this=ref.copy()), test.spec.alias("n")),
        ]
    row = engine.fetch(exp.select(*terms).from_(first)).as_dicts()[0]
    return [t for t in tests if row[t.spec.alias("d")] == row[t.spec.alias("n")]]


def _range_test(engine: Engine, spec: ProfiledColumn, profile: ColumnProfile) -> _RangeTest | None:
    """How to count a column in a bitmap, when it can be and could be unique."""
    if engine.max_distinct_range <= 0 or profile.present_count < 2:
        return None
    family = type_family(spec.type)
    low, high = profile.min, profile.max
    if spec.kind == "numeric" and family == "integer" and isinstance(low, int):
        test = _RangeTest(spec, spec.ref, low, int(high), None)
    elif spec.kind == "temporal" and family in UNITS and isinstance(low, dt.date):
        unit = UNITS[family]
        micros = exp.UnixMicros(this=spec.ref)
        value = exp.IntDiv(this=micros, expression=exp.Literal.number(unit))
        whole = exp.EQ(
            this=exp.Mod(this=micros.copy(), expression=exp.Literal.number(unit)),
            expression=exp.Literal.number(0),
        )
        test = _RangeTest(spec, value, _units(low, unit), _units(high, unit), whole)
    else:
        return None
    width = test.high - test.low
    # Fewer possible values than values: a duplicate is certain, no need to look.
    if width + 1 < profile.present_count or width > engine.max_distinct_range:
        return None
    return test


def _units(value: dt.date, unit: int) -> int:
    """Whole units since the epoch, rounded down (the range must contain every value)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    delta = value - dt.datetime(1970, 1, 1)
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros // unit


def is_dense(spec: ProfiledColumn, profile: ColumnProfile) -> bool:
    """Proven-unique integers as many as the integers from min to max: each of them, once."""
    low, high = profile.min, profile.max
    return (
        type_family(spec.type) == "integer"
        and isinstance(low, int)
        and isinstance(high, int)
        and -(2**53) < low <= high < 2**53  # exact as doubles, as the engine compares them
        and high - low + 1 == profile.present_count
    )


def duplicate_in_partition(
    engine: Engine, relation: exp.Expr, columns: Sequence[ProfiledColumn]
) -> bool:
    """True when a combination of the columns' values provably occurs twice.

    False proves nothing: the duplicates may lie in the partitions not looked at.
    """
    hashed = engine.hash([c.ref for c in columns])
    if hashed is None:
        return False
    partition = exp.EQ(
        this=exp.Mod(this=hashed, expression=exp.Literal.number(PARTITIONS)),
        expression=exp.Literal.number(0),
    )
    part = exp.select("*").from_(relation.copy()).where(partition)
    return bool(engine.fetch(duplicate_probe(part.subquery("steward_part"), columns)).rows)
