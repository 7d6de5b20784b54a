"""Delivery: payload shapes, retries with backoff, and failures that never fail a scan."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from datasteward.services.alerts import notify
from datasteward.store import Store

from .conftest import FAST, Receiver, Shop, alerts, closed_port_url, route

GOLDEN = Path(__file__).with_name("golden")


def test_the_webhook_payload(tmp_path: Path, receiver: Receiver) -> None:
    hook = route("hook", "webhook", url=receiver.url(), headers={"X-Token": "t0k"}, **FAST)
    shop = Shop(tmp_path, alerts(hook))
    run = shop.scan(duplicate=True, negative=True)
    (request,) = receiver.requests
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Token"] == "t0k"
    body = request.body
    assert body["run_id"] == run.run_id
    body["run_id"] = "RUN"
    expected = json.loads((GOLDEN / "webhook.json").read_text())
    assert body == expected


def test_the_slack_payload(tmp_path: Path, receiver: Receiver) -> None:
    shop = Shop(tmp_path, alerts(route("team", "slack", url=receiver.url("/slack"), **FAST)))
    run = shop.scan(day=0, duplicate=True)
    shop.scan(day=1)
    failing, resolved = receiver.bodies("/slack")
    assert (
        failing["text"]
        == f"Steward: 1 check started failing (run {run.run_id}, as of 2026-01-05T00:00:00Z)"
    )
    header, entry = failing["blocks"]
    assert header["type"] == "section"
    assert header["text"]["type"] == "mrkdwn"
    assert entry["text"]["text"].startswith(
        ":red_circle: *failing* `orders` · *unique(order_id)* (fail)"
    )
    assert "\nfailing rows: 2" in entry["text"]["text"]
    assert resolved["text"].startswith("Steward: 1 check resolved")
    assert resolved["blocks"][1]["text"]["text"].startswith(":large_green_circle: *resolved*")


def test_500_twice_then_200_is_delivered_once_after_retries(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)))
    shop.write(duplicate=True)
    receiver.statuses.extend([500, 500])
    waits: list[float] = []
    from datasteward.services.scan import scan

    run = scan(shop.project, record=False)
    with Store.open(shop.store) as store:
        store.record_run(run)
        report = notify(shop.project, run, store=store, sleep=waits.append)
    (delivery,) = report.deliveries
    assert (delivery.ok, delivery.attempts) == (True, 3)
    assert waits == [0.01, 0.02]  # exponential backoff
    assert len(receiver.requests) == 3  # two refused, one accepted: one alert delivered
    assert [r.levelname for r in caplog.records if r.name == "datasteward.alerts"][:2] == [
        "WARNING",
        "WARNING",
    ]

    shop.scan(day=1, duplicate=True)  # still failing: the delivered alert is not repeated
    assert len(receiver.requests) == 3


def test_a_receiver_that_is_down_never_fails_the_scan(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    down = route("down", "webhook", url=closed_port_url(), **FAST)
    up = route("up", "webhook", url=receiver.url(), **FAST)
    shop = Shop(tmp_path, alerts(down, up))
    with caplog.at_level(logging.WARNING, logger="datasteward.alerts"):
        run = shop.scan(duplicate=True)
    assert run.summary["fail"] == 1
    with Store.open(shop.store) as store:
        assert store.latest_run() is not None  # recorded
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "alert route 'down': giving up" in errors[0]
    assert "after 3 attempts" in errors[0]
    assert "Connection refused" in errors[0]
    assert len(receiver.bodies()) == 1  # the other route was not held up


def test_an_undelivered_alert_is_sent_by_the_next_run(tmp_path: Path, receiver: Receiver) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)))
    receiver.statuses.extend([503, 503, 503])  # every attempt of the first run fails
    shop.scan(day=0, duplicate=True)
    assert len(receiver.requests) == 3
    shop.scan(day=1, duplicate=True)
    assert len(receiver.requests) == 4
    assert receiver.requests[-1].body["alerts"][0]["event"] == "failing"
    shop.scan(day=2, duplicate=True)
    assert len(receiver.requests) == 4


def test_a_resolved_check_whose_failure_never_arrived_is_not_announced(
    tmp_path: Path, receiver: Receiver
) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)))
    receiver.statuses.extend([503, 503, 503])
    shop.scan(day=0, duplicate=True)
    shop.scan(day=1)
    assert len(receiver.requests) == 3  # only the failed attempts
    shop.scan(day=2, duplicate=True)
    assert receiver.requests[-1].body["alerts"][0]["event"] == "failing"


@pytest.mark.parametrize(("status", "attempts"), [(302, 1), (400, 1), (404, 1), (429, 3), (502, 3)])
def test_only_transient_http_errors_are_retried(
    tmp_path: Path, receiver: Receiver, status: int, attempts: int
) -> None:
    shop = Shop(tmp_path, alerts(route("hook", "webhook", url=receiver.url(), **FAST)))
    receiver.statuses.extend([status] * 3)
    shop.scan(duplicate=True)
    assert len(receiver.requests) == attempts


def test_a_scan_without_alerts_does_not_import_them(tmp_path: Path) -> None:
    Shop(tmp_path, "")
    script = (
        "import sys\n"
        "from datasteward.config import load_project\n"
        "from datasteward.services.scan import scan\n"
        "scan(load_project(sys.argv[1]))\n"
        "print('datasteward.services.alerts' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "steward.yml")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["False"]
