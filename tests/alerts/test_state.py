"""The state machine of one check on one route, case by case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from datasteward.model import CheckResult, CheckStatus, Run, Severity
from datasteward.services.alerts.report import Event
from datasteward.services.alerts.state import decide
from datasteward.store.alert_state import AlertKey, AlertStateRow, Delivery, State

NOW = datetime(2026, 1, 10, tzinfo=UTC)
DAY = timedelta(days=1)
LEASE = timedelta(minutes=5)
KEY = AlertKey("orders", "unique(order_id)", "order_id")


def _run(run_id: str, day: int) -> Run:
    as_of = NOW + day * DAY
    return Run(run_id, as_of, as_of, as_of, [])


def _result(status: CheckStatus) -> CheckResult:
    return CheckResult("unique(order_id)", "unique", status, Severity.ERROR, "", "order_id")


def _row(
    state: State, run_id: str, day: int, delivery: Delivery, claimed_ago: timedelta = DAY
) -> AlertStateRow:
    return AlertStateRow(
        "hook",
        KEY,
        state,
        run_id,
        NOW + day * DAY,
        delivery,
        NOW - claimed_ago,
    )


FAIL, PASS, ERROR = CheckStatus.FAIL, CheckStatus.PASS, CheckStatus.ERROR

# (previous row, this run's status, this run (id, day)) → (state written or None, event)
CASES = [
    pytest.param(None, PASS, ("r1", 0), ("ok", None), id="first pass: baseline, silent"),
    pytest.param(None, FAIL, ("r1", 0), ("failing", Event.FAILING), id="first failure alerts"),
    pytest.param(
        _row("ok", "r1", 0, "sent"),
        ERROR,
        ("r2", 1),
        ("failing", Event.FAILING),
        id="cannot run counts as failing",
    ),
    pytest.param(
        _row("failing", "r1", 0, "sent"),
        FAIL,
        ("r2", 1),
        ("failing", None),
        id="still failing: silent, newest as_of kept",
    ),
    pytest.param(
        _row("failing", "r1", 1, "sent"),
        FAIL,
        ("r2", 1),
        (None, None),
        id="same as_of, same state: nothing to write",
    ),
    pytest.param(
        _row("failing", "r1", 0, "sent"),
        PASS,
        ("r2", 1),
        ("ok", Event.RESOLVED),
        id="passes again: resolved",
    ),
    pytest.param(
        _row("failing", "r1", 0, "sent"),
        FAIL,
        ("r1", 0),
        (None, None),
        id="same run again: nothing",
    ),
    pytest.param(
        _row("ok", "r2", 2, "sent"), FAIL, ("r0", 1), (None, None), id="older run: ignored"
    ),
    pytest.param(
        _row("failing", "r1", 0, "failed"),
        FAIL,
        ("r1", 0),
        ("failing", Event.FAILING),
        id="same run after a failed delivery: again",
    ),
    pytest.param(
        _row("failing", "r1", 0, "failed"),
        FAIL,
        ("r2", 1),
        ("failing", Event.FAILING),
        id="next run after a failed delivery: again",
    ),
    pytest.param(
        _row("failing", "r1", 0, "failed"),
        PASS,
        ("r2", 1),
        ("ok", None),
        id="recovered before the failure arrived: silent",
    ),
    pytest.param(
        _row("failing", "r1", 0, "sending", timedelta(minutes=1)),
        FAIL,
        ("r2", 1),
        (None, None),
        id="another process is sending",
    ),
    pytest.param(
        _row("failing", "r1", 0, "sending", timedelta(hours=1)),
        FAIL,
        ("r2", 1),
        ("failing", Event.FAILING),
        id="a sender died: claimed again",
    ),
]


@pytest.mark.parametrize(("previous", "status", "run", "expected"), CASES)
def test_decide(
    previous: AlertStateRow | None,
    status: CheckStatus,
    run: tuple[str, int],
    expected: tuple[str | None, Event | None],
) -> None:
    decision = decide("hook", KEY, previous, _result(status), _run(*run), NOW, LEASE)
    written = None if decision.row is None else decision.row.state
    assert (written, decision.event) == expected
    assert decision.new == (previous is None)
    if decision.row is not None:
        assert decision.row.as_of == _run(*run).as_of
        assert decision.row.delivery == ("sending" if decision.event else "sent")
