"""What alerting produces: alerts (one check changing state) and their deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from datasteward.model import CheckResult
from datasteward.store.alert_state import AlertKey

__all__ = ["Alert", "AlertReport", "Delivery", "Event"]


class Event(StrEnum):
    FAILING = "failing"  # the check started failing (fail, warn or error)
    RESOLVED = "resolved"  # the check passes again


@dataclass(frozen=True)
class Alert:
    """One check of one dataset that started failing or was resolved by a run."""

    event: Event
    dataset: str
    result: CheckResult

    @property
    def key(self) -> AlertKey:
        return AlertKey(self.dataset, self.result.name, self.result.column or "")

    def to_json(self) -> dict[str, Any]:
        check = self.result
        return {
            "event": self.event.value,
            "dataset": self.dataset,
            "check": check.name,
            "type": check.type,
            "column": check.column,
            "status": check.status.value,
            "severity": check.severity.value,
            "message": check.message,
            "failed_rows": check.failed_rows,
            # Samples may hold personal data; receivers get the count, the store the rows.
            "sample_count": len(check.samples),
        }


@dataclass(frozen=True)
class Delivery:
    """One message to one route: the alerts it carried and how sending it went."""

    route: str
    alerts: tuple[Alert, ...]
    attempts: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class AlertReport:
    """Every delivery :func:`notify` attempted for one run."""

    deliveries: tuple[Delivery, ...] = ()

    @property
    def sent(self) -> list[Delivery]:
        return [delivery for delivery in self.deliveries if delivery.ok]

    @property
    def failed(self) -> list[Delivery]:
        return [delivery for delivery in self.deliveries if not delivery.ok]
