"""Property tests of the SQL the checks compile to, in every dialect.

Random check configurations (every check type, every common option, random column names
and user values) are compiled the way the scan service does it: all aggregate metrics of
a dataset into one :class:`MetricPlan`. The properties: the query is ONE SELECT that
sqlglot parses back in each dialect, identical metrics share one alias, user values stay
literals (they round-trip exactly and match themselves when run), and the query runs in
DuckDB and SQLite. Compiling needs no connection: PostgreSQL and Spark are dialects only.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from datasteward.checks.base import Check
from datasteward.checks.catalogue import CHECK_TYPES, build_checks
from datasteward.checks.drift import ReferenceDistribution
from datasteward.checks.sql import Sql
from datasteward.compile.context import DatasetRef, ScanContext
from datasteward.compile.query import ROW_COUNT, MetricPlan
from datasteward.config.models import CheckSpec
from datasteward.engines.base import Column, Engine
from datasteward.engines.duckdb import DuckDBEngine, table_relation
from datasteward.engines.postgres import PostgresEngine
from datasteward.engines.sqlite import SQLiteEngine

AS_OF = datetime(2024, 3, 2, tzinfo=UTC)
DIALECTS = ("duckdb", "postgres", "sqlite", "spark")
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Each random dataset has one column of each family, stored as these types when run.
FAMILIES = ("integer", "double", "string", "timestamp")
_DUCKDB_TYPES = {
    "integer": "BIGINT",
    "double": "DOUBLE",
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
}
_SQLITE_TYPES = {"integer": "INTEGER", "double": "REAL", "string": "TEXT", "timestamp": "TIMESTAMP"}
NUMERIC_STATS = ("min", "max", "mean", "median", "stddev", "sum")
COUNT_STATS = (
    "distinct_count",
    "distinct_percent",
    "missing_count",
    "missing_percent",
    "duplicate_count",
    "duplicate_percent",
)


class OfflinePostgres(PostgresEngine):
    """PostgreSQL's SQL without a server: compiling needs only the dialect."""

    def __init__(self) -> None:
        self.label = "offline"


class SparkDialect(Engine):
    dialect: ClassVar[str] = "spark"
    label = "spark"


# -- what is generated -------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """A check as written in steward.yml, with its SQL fragments kept as expressions so
    that each dialect gets them written in its own syntax (Spark quotes with backticks)."""

    type: str
    params: dict[str, Any]
    where: exp.Expr | None = None
    condition: exp.Expr | None = None  # row_condition
    query: exp.Query | None = None  # sql

    def checks(self, dialect: str) -> list[Check]:
        params = dict(self.params)
        if self.where is not None:
            params["where"] = self.where.sql(dialect)
        if self.condition is not None:
            params["condition"] = self.condition.sql(dialect)
        if self.query is not None:
            params["query"] = self.query.sql(dialect)
        return build_checks(CheckSpec(type=self.type, params=params))


@dataclass(frozen=True)
class Dataset:
    table: str
    columns: dict[str, str]  # name → family
    specs: list[Spec]


_NO_SURROGATES = st.characters(codec="utf-8", exclude_characters="\x00")
identifiers = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=10
)
texts = st.text(_NO_SURROGATES, max_size=12)
numbers = st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False).map(
    lambda f: round(f, 3)
)
timestamps = st.datetimes(datetime(2000, 1, 1), datetime(2030, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
_table_ids = count()


@st.composite
def column_sets(draw: st.DrawFn) -> dict[str, str]:
    """Four columns, one per family, with random names (unique ignoring case, since
    DuckDB and SQLite treat identifiers that differ only in case as one)."""
    names = draw(st.lists(identifiers, min_size=4, max_size=4, unique_by=str.casefold))
    return dict(zip(names, FAMILIES, strict=True))


def _column(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _comparison(columns: dict[str, str]) -> st.SearchStrategy[exp.Expr]:
    def build(name: str, op: type[exp.Expr], value: Any) -> exp.Expr:
        kind = columns[name]
        if kind == "string":
            literal: exp.Expr = exp.Literal.string(str(value))
        elif kind == "timestamp":
            literal = exp.Literal.string(value.isoformat(sep=" "))
        else:
            literal = exp.Literal.number(value)
        return op(this=_column(name), expression=literal)

    ops = st.sampled_from([exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE])

    @st.composite
    def one(draw: st.DrawFn) -> exp.Expr:
        name = draw(st.sampled_from(list(columns)))
        kind = columns[name]
        value = draw(texts if kind == "string" else timestamps if kind == "timestamp" else numbers)
        return build(name, draw(ops), value)

    return one()


def conditions(columns: dict[str, str]) -> st.SearchStrategy[exp.Expr]:
    """Random WHERE conditions over the columns (comparisons, IS NULL, AND, OR, NOT)."""
    is_null = st.sampled_from(list(columns)).map(
        lambda name: exp.Is(this=_column(name), expression=exp.Null())
    )
    leaves = _comparison(columns) | is_null
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda pair: exp.and_(*pair)),
            st.tuples(inner, inner).map(lambda pair: exp.or_(*pair)),
            inner.map(lambda c: exp.Not(this=exp.Paren(this=c))),
        ),
        max_leaves=4,
    )


def _thresholds(low: float = -100, high: float = 100) -> st.SearchStrategy[dict[str, Any]]:
    bound = st.floats(low, high, allow_nan=False)
    return st.one_of(
        st.fixed_dictionaries({"min": bound}),
        st.fixed_dictionaries({"max": bound}),
        st.fixed_dictionaries({"equals": bound}),
        st.tuples(bound, bound).map(lambda b: {"min": min(b), "max": max(b)}),
    )


@st.composite
def specs(draw: st.DrawFn, columns: dict[str, str], table: str) -> Spec:
    """One random check of any type in CHECK_TYPES, with random common options."""
    names = list(columns)
    numeric = [n for n in names if columns[n] in ("integer", "double")]
    kind = draw(st.sampled_from(sorted(CHECK_TYPES)))
    one_column = st.sampled_from(names)
    some_columns = st.lists(one_column, min_size=1, max_size=3, unique=True)
    params: dict[str, Any]
    condition = query = None
    if kind == "row_count":
        params = draw(_thresholds(0, 1000))
    elif kind == "not_null" or kind == "unique":
        params = {"columns": draw(some_columns)}
    elif kind == "between":
        column = draw(one_column)
        as_text = columns[column] in ("string", "timestamp")
        bound = timestamps.map(lambda d: d.isoformat(sep=" ")) if as_text else numbers
        low, high = sorted(draw(st.tuples(bound, bound)))
        params = {
            "column": column,
            "strict_min": draw(st.booleans()),
            "strict_max": draw(st.booleans()),
        } | draw(st.sampled_from([{"min": low}, {"max": high}, {"min": low, "max": high}]))
    elif kind in ("in_set", "not_in_set"):
        column = draw(st.sampled_from([*numeric, next(n for n in names if columns[n] == "string")]))
        values = st.integers(-50, 50) if columns[column] in ("integer", "double") else texts
        params = {"column": column, "values": draw(st.lists(values, min_size=1, max_size=4))}
    elif kind in ("regex", "not_regex"):
        pattern = st.sampled_from([r"^\d+$", r"^[^@\s]+@[^@\s]+$", "é|ï", r"\.", "^$"]) | texts.map(
            re.escape
        )
        params = {"column": draw(one_column), "pattern": draw(pattern)}
    elif kind == "length":
        size = st.integers(0, 20)
        params = {"column": draw(one_column)} | draw(
            st.one_of(
                st.fixed_dictionaries({"min": size}),
                st.fixed_dictionaries({"max": size}),
                st.fixed_dictionaries({"equals": size}),
            )
        )
    elif kind == "missing_percent":
        params = {"column": draw(one_column)} | draw(_thresholds(0, 100))
    elif kind == "metric":
        column = draw(one_column)
        stats = NUMERIC_STATS + COUNT_STATS if column in numeric else COUNT_STATS
        params = {"column": column, "stat": draw(st.sampled_from(stats))} | draw(_thresholds())
    elif kind == "freshness":
        params = {
            "column": next(n for n in names if columns[n] == "timestamp"),
            "max_age": draw(st.sampled_from(["90s", "15m", "24h", "7d"])),
        }
    elif kind == "row_condition":
        params = {"name": "rule"}
        condition = draw(conditions(columns))
    elif kind == "foreign_key":
        column = next(n for n in names if columns[n] == "integer")
        params = {"column": column, "references": "parent.key"}
    elif kind == "schema":
        params = {"columns": {n: columns[n] for n in names}, "allow_extra": draw(st.booleans())}
    elif kind == "sql":
        query = (
            exp.select(exp.Count(this=exp.Star()))
            .from_(exp.to_table(table))
            .where(draw(conditions(columns)))
        )
        params = draw(_thresholds(0, 10))
    elif kind == "schema_change":
        params = {"fail_on": draw(st.sampled_from([["added"], ["removed", "type_changed"]]))}
    elif kind == "drift":
        column = draw(st.sampled_from([*numeric, next(n for n in names if columns[n] == "string")]))
        method = draw(st.sampled_from(["psi", "ks"])) if column in numeric else "chi2"
        params = {"column": column, "method": method, "max": 0.2}
    else:
        assert kind == "anomaly", f"no strategy for check type {kind!r}: add one"
        params = {"metric": "row_count"}
    options = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.text(_NO_SURROGATES, min_size=1, max_size=8),
                "severity": st.sampled_from(["error", "warn"]),
                "mostly": st.floats(0, 1),
                "samples": st.integers(0, 20),
            },
        )
    )
    if kind in _WHOLE_TABLE_ONLY:  # no rows to filter, sample or take a share of
        options = {k: v for k, v in options.items() if k in ("name", "severity")}
        return Spec(kind, params | options, None, condition, query)
    where = draw(st.none() | conditions(columns))
    return Spec(kind, params | options, where, condition, query)


_WHOLE_TABLE_ONLY = {"anomaly", "drift"}


@st.composite
def datasets(draw: st.DrawFn, min_checks: int = 1) -> Dataset:
    columns = draw(column_sets())
    table = f"t{next(_table_ids)}"
    checks = draw(st.lists(specs(columns, table), min_size=min_checks, max_size=8))
    return Dataset(table, columns, checks)


# -- compiling as the scan service does -----------------------------------------------------
@pytest.fixture(scope="module")
def scratch_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the parent table of foreign_key checks."""
    path = tmp_path_factory.mktemp("compiled") / "scratch.sqlite"
    writer = sqlite3.connect(path)
    try:
        writer.execute('CREATE TABLE "parent" ("key" INTEGER)')
        writer.execute('INSERT INTO "parent" VALUES (1), (2), (NULL)')
        writer.commit()
    finally:
        writer.close()
    return path


@pytest.fixture(scope="module")
def engines(scratch_sqlite: Path) -> Iterator[dict[str, Engine]]:
    """An engine per dialect; DuckDB and SQLite are real, the others compile only."""
    duck = DuckDBEngine(None)
    duck.connection.execute(
        'CREATE TABLE "parent" AS SELECT * FROM (VALUES (1), (2), (NULL)) v("key")'
    )
    found = {
        "duckdb": duck,
        "postgres": OfflinePostgres(),
        "sqlite": SQLiteEngine(scratch_sqlite),
        "spark": SparkDialect(),
    }
    yield found
    found["duckdb"].close()
    found["sqlite"].close()


def context(dataset: Dataset, engine: Engine) -> ScanContext:
    columns = [Column(name, family) for name, family in dataset.columns.items()]

    def resolve(name: str) -> DatasetRef:
        if name != "parent":
            raise KeyError(name)
        return DatasetRef(
            "parent", "src", engine, table_relation("parent"), [Column("key", "integer")]
        )

    def reference(
        dataset: str, spec: str, column: str, numeric: bool, bins: int
    ) -> ReferenceDistribution:
        # A fixed reference: drift compiles bin / category counts from it.
        if numeric:
            return ReferenceDistribution("s", [1] * bins, edges=[float(i) for i in range(1, bins)])
        return ReferenceDistribution("s", [1, 1, 1], categories=["a", "b"])

    return ScanContext(
        dataset.table,
        "src",
        engine,
        table_relation(dataset.table),
        columns,
        AS_OF,
        resolve,
        reference=reference,
    )


@dataclass
class Compiled:
    plan: MetricPlan
    checks: list[Check]
    aggregated: list[int]  # indexes of the checks in the one query
    ctx: ScanContext

    @property
    def query(self) -> str:
        return self.plan.select(self.ctx.relation).sql(dialect=self.plan.dialect)


def compile_dataset(dataset: Dataset, engine: Engine, specs: list[Spec] | None = None) -> Compiled:
    """The scan service's compile step (services/scan.py scan_dataset), minus the running."""
    ctx = context(dataset, engine)
    plan = MetricPlan(engine.dialect)
    plan.add(-1, ROW_COUNT, exp.Count(this=exp.Star()))
    checks = [check for spec in (specs or dataset.specs) for check in spec.checks(engine.dialect)]
    aggregated = []
    for index, check in enumerate(checks):
        for column in check.definition.columns_used(check, ctx):
            assert column in dataset.columns, f"{check.name}: {column!r} reported missing"
        if check.definition.needs_history or check.definition.is_alone(check, ctx):
            continue
        for local, expression in check.definition.metrics(check, ctx).items():
            plan.add(index, local, expression)
        aggregated.append(index)
    return Compiled(plan, checks, aggregated, ctx)


def _parse_one_select(sql: str, dialect: str) -> exp.Select:
    statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    assert len(statements) == 1, sql
    assert isinstance(statements[0], exp.Select), sql
    return statements[0]


# -- properties ------------------------------------------------------------------------------
@SETTINGS
@given(dataset=datasets())
def test_aggregate_query_is_one_select_in_every_dialect(
    dataset: Dataset, engines: dict[str, Engine]
) -> None:
    for dialect in DIALECTS:
        compiled = compile_dataset(dataset, engines[dialect])
        select = _parse_one_select(compiled.query, dialect)
        assert [e.alias for e in select.expressions] == list(compiled.plan.expressions)
        assert select.sql(dialect=dialect) == compiled.query  # stable round trip
        for index in compiled.aggregated:
            assert compiled.plan.aliases_of(index), compiled.checks[index].name


def _every_check_type() -> Dataset:
    """One dataset with each check type and each metric statistic, with and without where."""
    columns = {"id": "integer", "amount": "double", "status": "string", "at": "timestamp"}
    paid = exp.column("status", quoted=True).eq(exp.Literal.string("paid"))
    plain = [
        Spec("row_count", {"min": 1}),
        Spec("not_null", {"columns": ["id", "status"]}),
        Spec("unique", {"columns": ["id"]}),
        Spec("unique", {"columns": ["id", "status"]}),
        Spec("between", {"column": "amount", "min": 0, "max": 10, "strict_max": True}),
        Spec("between", {"column": "at", "min": "2024-01-01"}),
        Spec("in_set", {"column": "status", "values": ["paid", "new"]}),
        Spec("not_in_set", {"column": "id", "values": [0]}),
        Spec("regex", {"column": "status", "pattern": "^[a-z]+$"}),
        Spec("not_regex", {"column": "status", "pattern": "x"}),
        Spec("length", {"column": "status", "min": 1, "max": 9}),
        Spec("missing_percent", {"column": "amount", "max": 5}),
        *(
            Spec("metric", {"column": "amount", "stat": stat, "min": 0})
            for stat in (*NUMERIC_STATS, *COUNT_STATS)
        ),
        Spec("freshness", {"column": "at", "max_age": "1d"}),
        Spec("row_condition", {}, condition=exp.column("amount", quoted=True) > 0),
        Spec("foreign_key", {"column": "id", "references": "parent.key"}),
        Spec("schema", {"columns": columns}),
        Spec("sql", {"max": 0}, query=exp.select("count(*)").from_("t").where(paid.copy())),
        Spec("anomaly", {"metric": "row_count"}),
        Spec("schema_change", {}),
        Spec("drift", {"column": "amount"}),
        Spec("drift", {"column": "status"}),
    ]
    assert {spec.type for spec in plain} == set(CHECK_TYPES)
    filtered = [replace(s, where=paid.copy()) for s in plain if s.type not in _WHOLE_TABLE_ONLY]
    return Dataset("t", columns, [*plain, *filtered])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_check_type_and_stat_compiles_to_one_select(
    dialect: str, engines: dict[str, Engine]
) -> None:
    compiled = compile_dataset(_every_check_type(), engines[dialect])
    select = _parse_one_select(compiled.query, dialect)
    assert [e.alias for e in select.expressions] == list(compiled.plan.expressions)


@SETTINGS
@given(dataset=datasets())
def test_sample_and_alone_queries_parse_in_every_dialect(
    dataset: Dataset, engines: dict[str, Engine]
) -> None:
    for dialect in DIALECTS:
        compiled = compile_dataset(dataset, engines[dialect])
        for check in compiled.checks:
            samples = check.definition.failing_rows(check, compiled.ctx, check.params.samples)
            if samples is not None:
                select = _parse_one_select(samples.sql(dialect=dialect), dialect)
                assert select.args["limit"].expression.this == str(check.params.samples)
            if isinstance(check.definition, Sql):
                query = check.definition.query(check, compiled.ctx)
                _parse_one_select(query.sql(dialect=dialect), dialect)


@SETTINGS
@given(dataset=datasets(), data=st.data())
def test_identical_metrics_share_one_alias(
    dataset: Dataset, data: st.DataObject, engines: dict[str, Engine]
) -> None:
    # The same checks again, differing only in options that change no metric.
    again = [
        replace(
            spec,
            params=spec.params
            | {
                "name": "again",
                "severity": data.draw(st.sampled_from(["error", "warn"])),
            }
            | ({} if spec.type in _WHOLE_TABLE_ONLY else {"samples": data.draw(st.integers(0, 9))}),
        )
        for spec in dataset.specs
    ]
    for dialect in DIALECTS:
        engine = engines[dialect]
        once = compile_dataset(dataset, engine)
        twice = compile_dataset(dataset, engine, [*dataset.specs, *again])
        assert list(twice.plan.expressions) == list(once.plan.expressions)
        assert twice.query == once.query
        offset = len(once.checks)
        for index in once.aggregated:
            assert twice.plan.wiring[index + offset] == once.plan.wiring[index]
        rendered = {e.sql(dialect=dialect) for e in twice.plan.expressions.values()}
        assert len(rendered) == len(twice.plan.expressions)  # one alias per distinct metric


@pytest.mark.parametrize("dialect", DIALECTS)
def test_checks_share_the_metrics_they_have_in_common(
    dialect: str, engines: dict[str, Engine]
) -> None:
    dataset = Dataset(
        "t",
        {"a": "integer", "b": "double", "c": "string", "d": "timestamp"},
        [
            Spec("row_count", {"min": 1}),
            Spec("row_count", {"max": 10, "name": "small"}),
            Spec("not_null", {"columns": ["a", "c"]}),
            Spec("missing_percent", {"column": "a", "max": 5}),
            Spec("metric", {"column": "a", "stat": "missing_percent", "max": 5}),
            Spec("metric", {"column": "a", "stat": "duplicate_count", "max": 5}),
        ],
    )
    compiled = compile_dataset(dataset, engines[dialect])
    row_count = compiled.plan.wiring[-1][ROW_COUNT]
    assert compiled.plan.wiring[0] == {"rows": row_count}
    assert compiled.plan.wiring[1] == {"rows": row_count}
    # missing_percent(a) and metric missing_percent/duplicate_count(a) count the same rows
    assert compiled.plan.wiring[4]["rows"] == compiled.plan.wiring[5]["rows"]
    assert compiled.plan.wiring[5] == compiled.plan.wiring[6]
    # COUNT(*) is shared by both row_counts, the rows of missing_percent and the metrics.
    assert len(compiled.plan.expressions) == 6


def _create(
    engines: dict[str, Engine], sqlite_file: Path, dataset: Dataset, rows: list[tuple[Any, ...]]
) -> None:
    """The dataset's table, with the rows, in the DuckDB and the SQLite engine."""
    create_duckdb, insert = _table_sql(dataset, _DUCKDB_TYPES)
    duck = engines["duckdb"]
    assert isinstance(duck, DuckDBEngine)
    duck.connection.execute(create_duckdb)
    if rows:
        duck.connection.executemany(insert, rows)
    create_sqlite, _ = _table_sql(dataset, _SQLITE_TYPES)
    as_text = [tuple(_sqlite_value(v) for v in row) for row in rows]
    writer = sqlite3.connect(sqlite_file)
    try:
        writer.execute(create_sqlite)
        writer.executemany(insert, as_text)
        writer.commit()
    finally:
        writer.close()


def _table_sql(dataset: Dataset, types: dict[str, str]) -> tuple[str, str]:
    names = [exp.to_identifier(name, quoted=True).sql(dialect="duckdb") for name in dataset.columns]
    columns = ", ".join(
        f"{name} {types[kind]}" for name, kind in zip(names, dataset.columns.values(), strict=True)
    )
    markers = ", ".join("?" * len(names))
    return (
        f'CREATE TABLE "{dataset.table}" ({columns})',
        f'INSERT INTO "{dataset.table}" VALUES ({markers})',
    )


def _sqlite_value(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value


def rows_for(columns: dict[str, str]) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    value = {
        "integer": st.integers(-(2**40), 2**40),
        "double": st.floats(-1e9, 1e9, allow_nan=False),
        "string": texts,
        "timestamp": timestamps,
    }
    row = st.tuples(*(st.none() | value[kind] for kind in columns.values()))
    return st.lists(row, max_size=6)


@SETTINGS
@given(dataset=datasets(), data=st.data())
def test_the_one_query_runs_in_duckdb_and_sqlite(
    dataset: Dataset, data: st.DataObject, engines: dict[str, Engine], scratch_sqlite: Path
) -> None:
    rows = data.draw(rows_for(dataset.columns))
    _create(engines, scratch_sqlite, dataset, rows)
    for dialect in ("duckdb", "sqlite"):
        compiled = compile_dataset(dataset, engines[dialect])
        result = engines[dialect].fetch(compiled.plan.select(compiled.ctx.relation))
        assert result.columns == list(compiled.plan.expressions)
        assert len(result.rows) == 1
        assert result.rows[0][0] == len(rows)  # the dataset row count


@SETTINGS
@given(columns=column_sets(), values=st.lists(texts, min_size=1, max_size=5))
def test_user_values_stay_literals(
    columns: dict[str, str], values: list[str], engines: dict[str, Engine], scratch_sqlite: Path
) -> None:
    """Quotes, backslashes and any unicode in values reach the engine unchanged: a column
    holding exactly the values passes in_set and fails not_in_set on every row."""
    text_column = next(name for name, kind in columns.items() if kind == "string")
    dataset = Dataset(
        f"t{next(_table_ids)}",
        columns,
        [
            Spec("in_set", {"column": text_column, "values": values}),
            Spec("not_in_set", {"column": text_column, "values": values}),
            Spec("row_count", {"min": 0}, where=exp.column(text_column, quoted=True).isin(*values)),
        ],
    )
    for dialect in DIALECTS:
        compiled = compile_dataset(dataset, engines[dialect])
        select = _parse_one_select(compiled.query, dialect)
        literals = {s.this for s in select.find_all(exp.Literal) if s.is_string}
        assert set(values) <= literals
        names = {c.name for c in select.find_all(exp.Column)}
        assert text_column in names
    rows = [
        tuple(value if kind == "string" else None for kind in columns.values()) for value in values
    ]
    _create(engines, scratch_sqlite, dataset, rows)
    for dialect in ("duckdb", "sqlite"):
        compiled = compile_dataset(dataset, engines[dialect])
        (row,) = engines[dialect].fetch(compiled.plan.select(compiled.ctx.relation)).rows
        found = dict(zip(compiled.plan.expressions, row, strict=True))
        in_set, not_in_set, where = (
            compiled.plan.values_for(i, found) for i in compiled.aggregated
        )
        assert in_set == {"considered": len(values), "failed": 0}, dialect
        assert not_in_set == {"considered": len(values), "failed": len(values)}, dialect
        assert where == {"rows": len(values)}, dialect
