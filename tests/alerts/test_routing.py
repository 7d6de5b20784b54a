"""Routes receive the results of the datasets and severities they ask for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import FAST, Receiver, Shop, alerts, route

# (route options, problems planted, checks the route is told about)
CASES: list[tuple[dict[str, Any], dict[str, bool], list[str]]] = [
    ({}, {"missing_customer": True}, []),  # warn-severity failures skip error routes
    ({"severity": "warn"}, {"missing_customer": True}, ["orders/not_null(customer)"]),
    ({"severity": "warn"}, {"duplicate": True}, ["orders/unique(order_id)"]),
    (
        {},
        {"duplicate": True, "customer_duplicate": True},
        ["customers/unique(customer_id)", "orders/unique(order_id)"],
    ),
    (
        {"datasets": ["customers"]},
        {"duplicate": True, "customer_duplicate": True},
        ["customers/unique(customer_id)"],
    ),
    ({"datasets": "orders"}, {"customer_duplicate": True}, []),
]


@pytest.mark.parametrize(("options", "problems", "expected"), CASES)
def test_routing(
    tmp_path: Path,
    receiver: Receiver,
    options: dict[str, Any],
    problems: dict[str, bool],
    expected: list[str],
) -> None:
    shop = Shop(tmp_path, alerts(route("r", "webhook", url=receiver.url(), **FAST, **options)))
    shop.scan(**problems)
    told = sorted(f"{a['dataset']}/{a['check']}" for b in receiver.bodies() for a in b["alerts"])
    assert told == expected


def test_each_route_gets_its_own_message(tmp_path: Path, receiver: Receiver) -> None:
    shop = Shop(
        tmp_path,
        alerts(
            route("errors", "webhook", url=receiver.url("/errors"), **FAST),
            route("all", "webhook", url=receiver.url("/all"), severity="warn", **FAST),
        ),
    )
    shop.scan(duplicate=True, missing_customer=True)
    (errors,) = receiver.bodies("/errors")
    (everything,) = receiver.bodies("/all")
    assert [a["check"] for a in errors["alerts"]] == ["unique(order_id)"]
    assert sorted(a["check"] for a in everything["alerts"]) == [
        "not_null(customer)",
        "unique(order_id)",
    ]
    assert (errors["route"], everything["route"]) == ("errors", "all")
