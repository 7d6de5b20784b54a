"""``anomaly: {metric, column}`` — today's value against the band learned from history.

Any stored metric works: the dataset's ``row_count`` or a column metric recorded by
``monitor: auto`` (``missing_percent``, ``distinct_count``, ``mean``, ``freshness_lag_hours``
…) or by a ``metric`` check. The band comes from a robust seasonal baseline (see
:mod:`datasteward.services.monitor.detector`); the message states it and the history used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from datasteward.checks.base import (
    Check,
    CheckDefinition,
    CheckParams,
    Outcome,
    reject_row_options,
)
from datasteward.errors import CheckDefinitionError

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext
    from datasteward.store.monitoring import MonitorLog


class AnomalyParams(CheckParams):
    metric: str
    column: str | None = None
    sensitivity: Literal["low", "medium", "high"] | float = "medium"
    min_history: int = Field(default=7, ge=2)

    @model_validator(mode="after")
    def _no_row_options(self) -> AnomalyParams:
        reject_row_options(self, "anomaly")
        return self


class Anomaly(CheckDefinition):
    type_name = "anomaly"
    Params = AnomalyParams
    needs_history = True

    def expand(self, params: CheckParams) -> list[Check]:
        assert isinstance(params, AnomalyParams)
        subject = f"{params.metric}, {params.column}" if params.column else params.metric
        return [Check(self, params, params.name or f"anomaly({subject})", params.column)]

    def evaluate_history(
        self,
        check: Check,
        current: Mapping[tuple[str, str | None], float | None],
        history: MonitorLog | None,
        ctx: ScanContext,
    ) -> Outcome:
        from datasteward.services.monitor.detector import NotEnoughHistory, expected_band

        params = check.params
        assert isinstance(params, AnomalyParams)
        if history is None:
            raise CheckDefinitionError("needs metric history: this scan keeps no store")
        key = (params.metric, params.column)
        if key not in current:
            where = f" of column {params.column!r}" if params.column else ""
            raise CheckDefinitionError(
                f"metric {params.metric!r}{where} is not measured by this scan",
                hint="keep 'monitor: auto' on the dataset or add a metric check for it",
            )
        value = current[key]
        if value is None:
            raise CheckDefinitionError(f"metric {params.metric!r} has no value in this scan")
        series = history.series(ctx.dataset, params.metric, params.column, before=ctx.as_of)
        try:
            band = expected_band(
                series, ctx.as_of, sensitivity=params.sensitivity, min_history=params.min_history
            )
        except NotEnoughHistory as missing:
            raise CheckDefinitionError(str(missing)) from None
        passed = band.contains(value)
        verdict = "within" if passed else "outside the band:"
        message = f"{params.metric} = {value:,.6g} is {verdict} {band.describe()}"
        observed = {
            "metric": params.metric,
            "value": value,
            "expected": band.expected,
            "low": band.low,
            "high": band.high,
            "history": band.points,
        }
        return Outcome(passed, message, observed=observed)
