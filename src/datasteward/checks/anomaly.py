"""``anomaly: {metric, column}`` — today's value against the band learned from history.

Parsed and validated now; the detector arrives with the monitoring service, until then
the check reports status ``error`` saying it needs metric history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from datasteward.checks.base import Check, CheckDefinition, CheckParams, Outcome
from datasteward.errors import CheckDefinitionError

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext


class AnomalyParams(CheckParams):
    metric: str
    column: str | None = None
    sensitivity: Literal["low", "medium", "high"] | float = "medium"
    min_history: int = Field(default=7, ge=2)


class Anomaly(CheckDefinition):
    type_name = "anomaly"
    Params = AnomalyParams
    runs_alone = True

    def expand(self, params: CheckParams) -> list[Check]:
        assert isinstance(params, AnomalyParams)
        subject = f"{params.metric}, {params.column}" if params.column else params.metric
        return [Check(self, params, params.name or f"anomaly({subject})", params.column)]

    def run_alone(self, check: Check, ctx: ScanContext) -> Outcome:
        raise CheckDefinitionError(
            "needs metric history: anomaly detection is not available in this version"
        )
