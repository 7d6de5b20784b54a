"""Notify the routes of ``alerts:`` about a recorded run.

First every route's transitions are claimed in the store (one short locked
transaction), then each route's message is delivered on a thread of its own, and
finally the store learns which deliveries arrived: one that did not is sent again
by the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from datasteward.services.alerts.delivery import deliver
from datasteward.services.alerts.report import AlertReport, Delivery
from datasteward.services.alerts.state import claim

if TYPE_CHECKING:
    from datasteward.config.models import Project
    from datasteward.model import Run
    from datasteward.store import Store
    from datasteward.store.alert_state import Delivery as DeliveryState

__all__ = ["notify", "notify_after_scan"]

logger = logging.getLogger("datasteward.alerts")


def notify(
    project: Project,
    run: Run,
    *,
    store: Store | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> AlertReport:
    """Send the alerts ``run`` calls for to every route of ``project.alerts``.

    ``run`` must be recorded in the store already. Delivery failures are logged and
    reported, not raised; an unreachable store raises ``SourceError``.
    """
    if not project.alerts:
        return AlertReport()
    if store is None:
        from datasteward.store import Store

        with Store.open(project.store_url()) as opened:
            return _notify(project, run, opened, sleep)
    return _notify(project, run, store, sleep)


def _notify(
    project: Project, run: Run, store: Store, sleep: Callable[[float], None]
) -> AlertReport:
    routes = {route.name: route for route in project.alerts}
    claimed = claim(store.alert_state, project.alerts, run, datetime.now(UTC))
    if not claimed:
        return AlertReport()

    def send(name: str) -> Delivery:
        return deliver(routes[name], run, claimed[name], sleep)

    # One thread per route: a receiver that is down does not delay the others.
    with ThreadPoolExecutor(max_workers=len(claimed), thread_name_prefix="steward-alert") as pool:
        deliveries = tuple(pool.map(send, claimed))
    for delivery in deliveries:
        keys = [alert.key for alert in delivery.alerts]
        outcome: DeliveryState = "sent" if delivery.ok else "failed"
        store.alert_state.settle(delivery.route, run.run_id, keys, outcome)
    return AlertReport(deliveries)


def notify_after_scan(project: Project, run: Run, store: Store) -> None:
    """:func:`notify` for the scan service: whatever goes wrong is logged, never raised."""
    try:
        notify(project, run, store=store)
    except Exception:
        # The one broad catch of alerting: the scan's results are recorded already, and
        # neither an unreachable store nor a bug here may turn a good scan into a failure.
        logger.exception("alerts for run %s could not be sent", run.run_id)
