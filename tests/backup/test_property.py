"""Property: any table survives backup → restore --to parquet, full and as a delta.

Random schemas over the types people keep in tables: integers, floats (NaN, infinities
and -0.0 included: a restore gives back the same bits), unicode text, decimals, dates,
naive and zoned timestamps, binary and booleans, each with NULLs. The tables live in a
Parquet file read by the files engine. The second backup of each example is a delta of a
shuffled mix of kept, duplicated, dropped and new rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .data import assert_same_data
from .sources import make_live
from .workspace import Workspace

NAIVE = {"min_value": datetime(1900, 1, 1), "max_value": datetime(2200, 1, 1)}
COLUMN_TYPES: dict[str, tuple[pa.DataType, st.SearchStrategy[Any]]] = {
    "int64": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "int32": (pa.int32(), st.integers(-(2**31), 2**31 - 1)),
    "float64": (pa.float64(), st.floats(allow_nan=True, allow_infinity=True)),
    "text": (pa.string(), st.text(st.characters(codec="utf-8", exclude_characters="\x00"))),
    "decimal": (
        pa.decimal128(18, 4),
        st.decimals(min_value=-(10**13), max_value=10**13, places=4, allow_nan=False),
    ),
    "date": (pa.date32(), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))),
    "timestamp": (pa.timestamp("us"), st.datetimes(**NAIVE)),
    "timestamptz": (
        pa.timestamp("us", tz="UTC"),
        st.datetimes(**NAIVE, timezones=st.just(UTC)),
    ),
    "binary": (pa.binary(), st.binary(max_size=20)),
    "bool": (pa.bool_(), st.booleans()),
}


@st.composite
def tables(draw: st.DrawFn) -> tuple[pa.Schema, list[dict[str, Any]]]:
    kinds = draw(st.lists(st.sampled_from(sorted(COLUMN_TYPES)), min_size=1, max_size=5))
    names = [f"c{i}_{kind}" for i, kind in enumerate(kinds)]
    schema = pa.schema(
        [(name, COLUMN_TYPES[kind][0]) for name, kind in zip(names, kinds, strict=True)]
    )
    row = st.fixed_dictionaries(
        {name: st.none() | COLUMN_TYPES[kind][1] for name, kind in zip(names, kinds, strict=True)}
    )
    return schema, draw(st.lists(row, max_size=12))


@st.composite
def changed(draw: st.DrawFn, schema: pa.Schema, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The next version of a table: some rows kept (some twice), the rest dropped, new ones."""
    kept = [row for row in rows if draw(st.booleans())]
    doubled = [row for row in kept if draw(st.booleans())]
    kinds = {field.name: field.name.split("_", 1)[1] for field in schema}
    fresh = draw(
        st.lists(
            st.fixed_dictionaries(
                {name: st.none() | COLUMN_TYPES[kind][1] for name, kind in kinds.items()}
            ),
            max_size=4,
        )
    )
    return draw(st.permutations(kept + doubled + fresh))


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One project for every example: a Parquet dataset overwritten each time."""
    folder = tmp_path_factory.mktemp("property")
    workspace = Workspace(folder, make_live("parquet", folder))
    workspace.configure(["orders"], keys={}, backups={"full_every": 1000})
    return workspace


def round_trip(ws: Workspace, table: pa.Table, kind: str | None) -> None:
    ws.put(table)
    manifest = ws.backup()
    assert kind is None or manifest.kind == kind
    out = ws.folder / "restored.parquet"
    ws.restore(manifest, to_path=out)
    restored = pq.read_table(out)
    assert_same_data(restored, ws.read())  # exactly the snapshot the engine read
    # …which holds the values that were written (zone names may be spelled differently).
    assert_same_data(restored.cast(table.schema), table)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_table_round_trips_full_and_as_a_delta(lake: Workspace, data: st.DataObject) -> None:
    schema, rows = data.draw(tables(), label="table")
    first = pa.Table.from_pylist(rows, schema=schema)
    round_trip(lake, first, kind=None)  # full, or a delta when the last example had its schema
    second = pa.Table.from_pylist(data.draw(changed(schema, rows), label="next"), schema=schema)
    round_trip(lake, second, kind="delta")


def test_nan_infinities_and_negative_zero_keep_their_bits(lake: Workspace) -> None:
    values = [float("nan"), float("inf"), float("-inf"), -0.0, 0.0, None, 1e-310]
    table = pa.table({"x": pa.array(values, pa.float64()), "n": list(range(len(values)))})
    round_trip(lake, table, kind=None)
    kept = table.filter(pa.array([True, True, False, True, False, True, True]))
    round_trip(lake, pa.concat_tables([kept, kept.slice(0, 2)]), kind="delta")
