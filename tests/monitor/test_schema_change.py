"""``schema_change`` between real scans of a DuckDB table whose columns change."""

from __future__ import annotations

import pytest

from datasteward.model import CheckStatus

from .conftest import Shop, check_named, day, orders_frame

ALL = "schema_change: {}"
CHANGES = {
    "added": ("ALTER TABLE orders ADD COLUMN note VARCHAR", "note added (VARCHAR)"),
    "removed": ("ALTER TABLE orders DROP COLUMN email", "email removed"),
    "type_changed": (
        "ALTER TABLE orders ALTER COLUMN amount TYPE VARCHAR",
        "amount changed DOUBLE → VARCHAR",
    ),
}


def _first_scan(shop: Shop, check: str = ALL) -> None:
    shop.write(orders_frame(50, seed=0))
    result = shop.scan(shop.project([check]), day(0))
    first = check_named(result, "schema_change")
    assert first.status is CheckStatus.PASS
    assert first.message == "first recorded schema (3 columns)"


def test_an_unchanged_schema_passes(shop: Shop) -> None:
    _first_scan(shop)
    shop.write(orders_frame(60, seed=1))  # other rows, same columns
    check = check_named(shop.scan(shop.project([ALL]), day(1)), "schema_change")
    assert check.status is CheckStatus.PASS
    assert check.message == "unchanged since 2026-01-05 06:00"
    assert check.observed == []


@pytest.mark.parametrize("event", list(CHANGES))
def test_a_column_change_fails_naming_the_event(shop: Shop, event: str) -> None:
    _first_scan(shop)
    statement, described = CHANGES[event]
    shop.execute(statement)
    check = check_named(shop.scan(shop.project([ALL]), day(1)), "schema_change")
    assert check.status is CheckStatus.FAIL
    assert check.message == f"since 2026-01-05 06:00: {described}"
    (observed,) = check.observed
    assert observed["event"] == event
    assert observed["column"] in {"note", "email", "amount"}


@pytest.mark.parametrize(
    ("event", "fail_on", "status"),
    [
        ("added", "[removed, type_changed]", CheckStatus.PASS),
        ("removed", "[removed]", CheckStatus.FAIL),
        ("type_changed", "[added, removed]", CheckStatus.PASS),
        ("type_changed", "[type_changed]", CheckStatus.FAIL),
    ],
)
def test_fail_on_narrows_which_changes_fail(
    shop: Shop, event: str, fail_on: str, status: CheckStatus
) -> None:
    check_text = f"schema_change: {{fail_on: {fail_on}}}"
    _first_scan(shop, check_text)
    statement, described = CHANGES[event]
    shop.execute(statement)
    check = check_named(shop.scan(shop.project([check_text]), day(1)), "schema_change")
    assert check.status is status
    assert described in check.message  # a change that does not fail is still reported


def test_several_changes_are_all_named_and_compared_with_the_latest_scan(shop: Shop) -> None:
    _first_scan(shop)
    shop.execute(
        "ALTER TABLE orders ADD COLUMN note VARCHAR", "ALTER TABLE orders DROP COLUMN email"
    )
    project = shop.project([ALL])
    both = check_named(shop.scan(project, day(1)), "schema_change")
    assert both.status is CheckStatus.FAIL
    assert both.message == "since 2026-01-05 06:00: note added (VARCHAR); email removed"
    # The next scan compares with the schema of day 1, not day 0.
    again = check_named(shop.scan(project, day(2)), "schema_change")
    assert again.status is CheckStatus.PASS
    assert again.message == "unchanged since 2026-01-06 06:00"
