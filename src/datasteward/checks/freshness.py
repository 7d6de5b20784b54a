"""``freshness: {column, max_age: 24h}`` — the newest value is recent enough.

"Now" is the run's logical time (``--as-of``), so replays of old partitions judge them
as of their own day. Naive timestamps are taken to be UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import field_validator
from sqlglot import exp

from datasteward.checks.base import Check, CheckDefinition, Outcome, filtered, value_if
from datasteward.checks.row_level import ColumnParams
from datasteward.durations import format_duration, parse_duration

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class FreshnessParams(ColumnParams):
    max_age: str

    @field_validator("max_age")
    @classmethod
    def _duration(cls, text: str) -> str:
        parse_duration(text)
        return text


def as_utc(value: Any) -> datetime:
    """Engine values (datetime, date, ISO text from SQLite) as aware UTC datetimes."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Freshness(CheckDefinition):
    type_name = "freshness"
    Params = FreshnessParams

    def expand(self, params: Any) -> list[Check]:
        return [
            Check(
                self, params, params.name or self.default_name(params, params.column), params.column
            )
        ]

    def metrics(self, check: Check, ctx: ScanContext) -> dict[str, exp.Expr]:
        assert check.column
        return {
            "newest": exp.Max(this=value_if(filtered(check, ctx, None), ctx.column(check.column)))
        }

    def evaluate(self, check: Check, values: Mapping[str, Any], ctx: ScanContext) -> Outcome:
        assert isinstance(check.params, FreshnessParams)
        limit = parse_duration(check.params.max_age)
        if values["newest"] is None:
            return Outcome(False, f"{check.column} has no values, so no freshness", observed=None)
        try:
            newest = as_utc(values["newest"])
        except (TypeError, ValueError):
            return Outcome(False, f"{check.column} is not a date or timestamp column")
        age: timedelta = ctx.as_of - newest
        message = (
            f"newest {check.column} is {format_duration(age)} old at {ctx.as_of:%Y-%m-%d %H:%M} UTC "
            f"(max {check.params.max_age})"
        )
        return Outcome(age <= limit, message, observed=round(age.total_seconds(), 3))

    def metric_values(self, check: Check, values: Mapping[str, Any]) -> dict[str, float | None]:
        return {}
