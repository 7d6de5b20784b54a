"""Samples drawn through a Bernoulli pass still hold exactly the rows asked for."""

from __future__ import annotations

import pytest
from sqlglot import exp

from datasteward.engines.duckdb import DuckDBEngine
from datasteward.services.profile.relations import sampled


@pytest.mark.parametrize(("total", "rows"), [(100, 10), (100_000, 1_000), (300_000, 200_000)])
def test_a_sample_has_exactly_the_rows_asked_for_and_repeats(total: int, rows: int) -> None:
    with DuckDBEngine(None, label="memory") as engine:
        relation = exp.Anonymous(this="range", expressions=[exp.Literal.number(total)])
        sample = sampled(engine, relation, total, rows)
        query = exp.select(exp.Count(this=exp.Star()), exp.Sum(this=exp.column("range")))
        first, again = (engine.fetch(query.from_(sample.copy())).rows[0] for _ in range(2))
        assert first[0] == rows and first == again
