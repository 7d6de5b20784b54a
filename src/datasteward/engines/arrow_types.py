"""Arrow types as SQL column types (rendered per dialect by SQLGlot) and back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["column_definitions", "sql_type"]


def sql_type(arrow_type: pa.DataType) -> exp.DataType:
    import pyarrow as pa

    t = pa.types
    if t.is_boolean(arrow_type):
        return exp.DataType.build("boolean")
    if t.is_int8(arrow_type) or t.is_int16(arrow_type) or t.is_uint8(arrow_type):
        return exp.DataType.build("smallint")
    if t.is_int32(arrow_type) or t.is_uint16(arrow_type):
        return exp.DataType.build("int")
    if t.is_integer(arrow_type):
        return exp.DataType.build("bigint")
    if t.is_float32(arrow_type):
        return exp.DataType.build("real")
    if t.is_floating(arrow_type):
        return exp.DataType.build("double")
    if t.is_decimal(arrow_type):
        return exp.DataType.build(f"decimal({arrow_type.precision}, {arrow_type.scale})")
    if t.is_timestamp(arrow_type):
        return exp.DataType.build("timestamptz" if arrow_type.tz else "timestamp")
    if t.is_date(arrow_type):
        return exp.DataType.build("date")
    if t.is_time(arrow_type):
        return exp.DataType.build("time")
    if (
        t.is_binary(arrow_type)
        or t.is_large_binary(arrow_type)
        or t.is_fixed_size_binary(arrow_type)
    ):
        return exp.DataType.build("varbinary")
    return exp.DataType.build("text")


def column_definitions(schema: pa.Schema) -> list[exp.ColumnDef]:
    return [
        exp.ColumnDef(this=exp.to_identifier(field.name, quoted=True), kind=sql_type(field.type))
        for field in schema
    ]


def create_table(table: exp.Table, schema: pa.Schema) -> exp.Create:
    """CREATE TABLE with the columns of an Arrow schema (types mapped per dialect)."""
    return exp.Create(
        this=exp.Schema(this=table, expressions=column_definitions(schema)),
        kind="TABLE",
    )
