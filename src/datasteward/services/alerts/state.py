"""Which checks changed state for a route: the transitions a run calls alerts for.

Each route remembers, per check, whether it last said "failing" or "ok" (the
``alert_state`` table). A run moves a check to failing (status fail, warn or error,
among the checks the route's severity covers) or to ok (pass); only a move is alerted.
All processes claim under one lock, so a transition is claimed once however many
replicas notify, and a run that is notified again (a retried job) finds its
transitions already claimed. Runs older than the newest one a route has seen for a
check are ignored for it: a backfill must not make alerts flap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from datasteward.config.alerts import AlertRoute
from datasteward.model import CheckResult, CheckStatus, Run, Severity
from datasteward.services.alerts.delivery import worst_case
from datasteward.services.alerts.report import Alert, Event
from datasteward.store.alert_state import (
    AlertKey,
    AlertStateLog,
    AlertStateRow,
    AlertStates,
    State,
)

__all__ = ["Decision", "claim", "decide"]

# A claim still "sending" after twice the longest its delivery can take, plus this, was
# left by a process that died mid-delivery: the next run sends the message again.
_LEASE_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class Decision:
    """What to write for one check (None: nothing) and which alert to send (None: none)."""

    row: AlertStateRow | None
    event: Event | None = None
    new: bool = False


def claim(
    log: AlertStateLog, routes: Sequence[AlertRoute], run: Run, now: datetime
) -> dict[str, list[Alert]]:
    """Record the transitions ``run`` makes for every route; return the alerts to send."""
    claimed: dict[str, list[Alert]] = {}
    with log.locked() as states:
        for route in routes:
            alerts = _claim_route(states, route, run, now)
            if alerts:
                claimed[route.name] = alerts
    return claimed


def _claim_route(states: AlertStates, route: AlertRoute, run: Run, now: datetime) -> list[Alert]:
    observed = _observed(route, run)
    if not observed:
        return []
    previous = states.of_route(route.name, {key.dataset for key in observed})
    lease = 2 * worst_case(route) + _LEASE_MARGIN
    inserts: list[AlertStateRow] = []
    updates: list[AlertStateRow] = []
    alerts: list[Alert] = []
    for key, result in observed.items():
        decision = decide(route.name, key, previous.get(key), result, run, now, lease)
        if decision.row is not None:
            (inserts if decision.new else updates).append(decision.row)
        if decision.event is not None:
            alerts.append(Alert(decision.event, key.dataset, result))
    states.insert(inserts)
    states.update(updates)
    return alerts


def _observed(route: AlertRoute, run: Run) -> dict[AlertKey, CheckResult]:
    """The results ``route`` covers, one per check; a failing one wins over a duplicate."""
    severities = {Severity.ERROR} if route.severity == "error" else {Severity.ERROR, Severity.WARN}
    observed: dict[AlertKey, CheckResult] = {}
    for dataset in run.datasets:
        if route.datasets is not None and dataset.dataset not in route.datasets:
            continue
        for result in dataset.checks:
            if result.severity not in severities:
                continue
            key = AlertKey(dataset.dataset, result.name, result.column or "")
            if key not in observed or (_failing(result) and not _failing(observed[key])):
                observed[key] = result
    return observed


def _failing(result: CheckResult) -> bool:
    return result.status is not CheckStatus.PASS


def decide(
    route: str,
    key: AlertKey,
    previous: AlertStateRow | None,
    result: CheckResult,
    run: Run,
    now: datetime,
    lease: timedelta,
) -> Decision:
    """The state machine of one check on one route (see the module docstring)."""
    state: State = "failing" if _failing(result) else "ok"
    event = Event.FAILING if state == "failing" else Event.RESOLVED
    claimed = AlertStateRow(route, key, state, run.run_id, run.as_of, "sending", now)
    if previous is None:
        # Nothing said yet: a passing check needs no message, only a baseline.
        if state == "ok":
            return Decision(replace(claimed, delivery="sent"), new=True)
        return Decision(claimed, event, new=True)
    in_flight = previous.delivery == "sending" and now - previous.claimed_at < lease
    if run.as_of < previous.as_of or in_flight:
        return Decision(None)
    if previous.run_id == run.run_id and previous.delivery == "sent":
        return Decision(None)  # this run was notified already
    delivered = previous.delivery == "sent"
    if previous.state == state:
        if not delivered:
            return Decision(claimed, event)  # the last message never arrived: say it again
        if run.as_of > previous.as_of:
            return Decision(replace(previous, as_of=run.as_of))
        return Decision(None)
    if not delivered:
        # The receiver never heard of the change this one reverts: nothing to say.
        return Decision(replace(claimed, delivery="sent"))
    return Decision(claimed, event)
