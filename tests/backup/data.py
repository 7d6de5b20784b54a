"""Tables to back up, and ways to compare what comes back with what went in."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

# -- the sample table: every type the issue names ------------------------------------------

SAMPLE_TEXTS = [
    "plain",
    "ünïcödé — naïve café",
    "emoji 😀🚀 and 汉字 and עברית",
    'comma, "quotes" and a\nnewline',
    "combining e\u0301 and tab\t",
    "",
]


def sample_table(rows: int = 60, *, binary: bool = True, offset: int = 0) -> pa.Table:
    """Decimals, zoned and naive timestamps, dates, blobs, unicode, NULLs, booleans."""
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    data: dict[str, list[Any]] = {
        "id": [],
        "amount": [],
        "name": [],
        "created_at": [],
        "local_time": [],
        "day": [],
        "paid": [],
        "score": [],
        "payload": [],
    }
    for n in range(offset, offset + rows):
        data["id"].append(n)
        data["amount"].append(None if n % 7 == 3 else Decimal(n * 1234567 % 99999999) / 100 - 5)
        text = SAMPLE_TEXTS[n % len(SAMPLE_TEXTS)]
        data["name"].append(None if n % 9 == 4 else "" if n % 13 == 0 else f"{text} {n}")
        moment = datetime(2026, 1, 5, 6, 0, 0, 123456, tzinfo=zones[n % 3]) + timedelta(hours=n)
        data["created_at"].append(None if n % 11 == 5 else moment)
        data["local_time"].append(datetime(2025, 12, 31, 23, 59, 59, 999999) + timedelta(days=n))
        data["day"].append(None if n % 6 == 1 else date(2024, 2, 29) + timedelta(days=n))
        data["paid"].append(None if n % 5 == 2 else n % 2 == 0)
        data["score"].append(None if n % 8 == 6 else n / 3 - 7.5)
        data["payload"].append(None if n % 10 == 7 else bytes([n % 256, 0, 255, 10, 13]) * 3)
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("amount", pa.decimal128(12, 2)),
            ("name", pa.string()),
            ("created_at", pa.timestamp("us", tz="UTC")),
            ("local_time", pa.timestamp("us")),
            ("day", pa.date32()),
            ("paid", pa.bool_()),
            ("score", pa.float64()),
            ("payload", pa.binary()),
        ]
    )
    table = pa.Table.from_pydict(data, schema=schema)
    return table if binary else table.drop_columns(["payload"])


# -- comparing data ------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), value.utcoffset())
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if isinstance(value, list):
        return ("list", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("struct", tuple((k, _canonical(v)) for k, v in value.items()))
    return (type(value).__name__, value)


def multiset(table: pa.Table) -> Counter[tuple[Any, ...]]:
    """The rows of a table as a multiset (floats compared bit for bit, NaN equal to NaN)."""
    return Counter(tuple(_canonical(v) for v in row.values()) for row in table.to_pylist())


def assert_same_data(actual: pa.Table, expected: pa.Table) -> None:
    """Same column names, order and Arrow types, and the same rows as a multiset."""
    assert actual.schema.names == expected.schema.names
    assert [str(f.type) for f in actual.schema] == [str(f.type) for f in expected.schema]
    assert actual.num_rows == expected.num_rows
    missing = multiset(expected) - multiset(actual)
    extra = multiset(actual) - multiset(expected)
    assert not missing and not extra, f"missing {list(missing)[:3]}, extra {list(extra)[:3]}"


def except_all_counts(left: pa.Table, right: pa.Table) -> tuple[int, int]:
    """Rows of ``left`` not in ``right`` and the reverse, as DuckDB's EXCEPT ALL counts."""
    connection = duckdb.connect()
    try:
        connection.register("left_rows", left)
        connection.register("right_rows", right)
        one = "SELECT count(*) FROM (SELECT * FROM left_rows EXCEPT ALL SELECT * FROM right_rows)"
        two = "SELECT count(*) FROM (SELECT * FROM right_rows EXCEPT ALL SELECT * FROM left_rows)"
        return connection.execute(one).fetchall()[0][0], connection.execute(two).fetchall()[0][0]
    finally:
        connection.close()


def fingerprint(table: pa.Table) -> tuple[int, int]:
    """Row count and an order-independent hash sum, for "old or new, never mixed"."""
    connection = duckdb.connect()
    try:
        connection.register("rows_in", table)
        columns = ", ".join(f'"{n}"' for n in table.schema.names)
        row = connection.execute(
            f"SELECT count(*), coalesce(sum(hash({columns})::HUGEINT), 0) FROM rows_in"
        ).fetchall()[0]
        return int(row[0]), int(row[1])
    finally:
        connection.close()
