"""One alert when a check starts failing, none while it keeps failing, one when resolved.

Driven by real scans of a CSV project; alert state lives in a SQLite file or in a real
PostgreSQL server, as it would for several replicas.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from typing import Any

from datasteward.services.alerts import notify
from datasteward.store import Store

from .conftest import FAST, Receiver, Shop, alerts, route


def _events(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(a["event"], a["dataset"], a["check"]) for a in body["alerts"]]


def test_fail_alerts_once_then_nothing_then_resolved(
    tmp_path: Path, receiver: Receiver, store_url: str
) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)), store_url)

    shop.scan(day=0)  # all good: nothing to say
    assert receiver.bodies() == []

    first = shop.scan(day=1, duplicate=True)
    (body,) = receiver.bodies()
    assert _events(body) == [("failing", "orders", "unique(order_id)")]
    assert body["run_id"] == first.run_id

    shop.scan(day=2, duplicate=True)  # still failing: silence
    assert len(receiver.bodies()) == 1

    shop.scan(day=3)  # repaired
    assert len(receiver.bodies()) == 2
    assert _events(receiver.bodies()[1]) == [("resolved", "orders", "unique(order_id)")]

    shop.scan(day=4)  # still passing: silence
    assert len(receiver.bodies()) == 2


def test_a_check_failing_on_the_first_scan_alerts(tmp_path: Path, receiver: Receiver) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)))
    shop.scan(negative=True, duplicate=True)
    (body,) = receiver.bodies()
    assert sorted(_events(body)) == [
        ("failing", "orders", "between(amount)"),
        ("failing", "orders", "unique(order_id)"),
    ]
    assert body["summary"] == {"failing": 2, "resolved": 0}


def test_one_message_carries_failing_and_resolved(tmp_path: Path, receiver: Receiver) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)))
    shop.scan(day=0, duplicate=True)
    shop.scan(day=1, negative=True)
    assert sorted(_events(receiver.bodies()[1])) == [
        ("failing", "orders", "between(amount)"),
        ("resolved", "orders", "unique(order_id)"),
    ]


def test_the_same_run_notified_twice_sends_once(
    tmp_path: Path, receiver: Receiver, store_url: str
) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)), store_url)
    run = shop.scan(duplicate=True)
    assert len(receiver.bodies()) == 1

    # A retried job records and notifies the same run again.
    with Store.open(shop.store) as store:
        store.record_run(run)
        report = notify(shop.project, run, store=store)
    assert report.deliveries == ()
    assert len(receiver.bodies()) == 1


def test_replicas_notifying_the_same_run_at_once_send_once(
    tmp_path: Path, receiver: Receiver, store_url: str
) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)), store_url)
    shop.write(duplicate=True)
    from datasteward.services.scan import scan

    project = shop.project
    run = scan(project, record=False)
    with Store.open(shop.store) as store:
        store.record_run(run)
    barrier = Barrier(4)

    def replica(_: int) -> int:
        with Store.open(shop.store) as store:
            barrier.wait()
            return len(notify(project, run, store=store).sent)

    with ThreadPoolExecutor(4) as pool:
        sent = list(pool.map(replica, range(4)))
    assert sorted(sent) == [0, 0, 0, 1]
    assert len(receiver.bodies()) == 1


def test_an_older_run_notified_late_does_not_flap(tmp_path: Path, receiver: Receiver) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)))
    shop.scan(day=5, duplicate=True)
    shop.scan(day=6)
    assert [_events(b)[0][0] for b in receiver.bodies()] == ["failing", "resolved"]

    shop.scan(day=1, duplicate=True)  # a backfill: older than what the route has seen
    assert len(receiver.bodies()) == 2


def test_state_is_kept_per_route(tmp_path: Path, receiver: Receiver) -> None:
    hook = route("hook", "webhook", url=receiver.url("/a"), **FAST)
    shop = Shop(tmp_path, alerts(hook))
    shop.scan(day=0, duplicate=True)
    # A route added later learns about checks that are failing already.
    with_b = alerts(hook, route("late", "webhook", url=receiver.url("/b"), **FAST))
    shop = Shop(tmp_path, with_b)
    shop.scan(day=1, duplicate=True)
    assert len(receiver.bodies("/a")) == 1
    assert len(receiver.bodies("/b")) == 1
