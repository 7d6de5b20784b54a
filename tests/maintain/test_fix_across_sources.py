"""Every fix action on every kind of source: preview, apply, record, undo.

One table of cases (request → rows affected → the orders afterwards) runs against a CSV
file, a Parquet file, DuckDB, SQLite and PostgreSQL, through the Python services the CLI
calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from datasteward.services.backup import open_repository, snapshots
from datasteward.services.maintain import (
    FixRequest,
    apply_fix,
    apply_undo,
    list_changes,
    plan_undo,
    preview_fix,
)

from .conftest import ORDERS, Shop, multiset


@dataclass(frozen=True)
class Case:
    id: str
    request: FixRequest
    affected: int
    after: list[tuple[Any, ...]]
    action: str


def replaced(changes: dict[int, tuple[Any, ...] | None]) -> list[tuple[Any, ...]]:
    """ORDERS with rows (by position) replaced, or dropped when None."""
    rows = [changes.get(i, row) for i, row in enumerate(ORDERS)]
    return [row for row in rows if row is not None]


CASES = [
    Case(
        "trim-and-lower",
        FixRequest(trim=["email"], lower=["email"]),
        1,
        replaced({0: (1, "new", 10.0, "a@x.com", 1)}),
        "trim email, lower email",
    ),
    Case(
        "set-where",
        FixRequest(set=["amount=abs(amount)"], where="amount < 0"),
        2,
        replaced({3: (4, "new", 5.0, "c@x.com", 4), 4: (4, "paid", 6.0, "d@x.com", 5)}),
        "set amount = abs(amount) where amount < 0",
    ),
    Case(
        "set-two-columns",
        FixRequest(set=["status='paid'", "amount = amount * 2"], where="id = 1"),
        1,
        replaced({0: (1, "paid", 20.0, " A@X.com ", 1)}),
        "set status = 'paid', set amount = amount * 2 where id = 1",
    ),
    Case(
        "set-only-rows-that-change",
        FixRequest(set=["status='new'"], where="id <= 2"),
        1,
        replaced({1: (2, "new", 20.0, "b@x.com", 2)}),
        "set status = 'new' where id <= 2",
    ),
    Case(
        "delete-where-null-safe",
        FixRequest(delete_where="status = 'bogus' OR amount < -5.5"),
        2,
        replaced({2: None, 4: None}),
        "delete where status = 'bogus' OR amount < -5.5",
    ),
    Case(
        "fill-null",
        FixRequest(fill_null=["status=unknown", "amount=0"]),
        2,
        replaced({2: (3, "bogus", 0.0, None, 3), 5: (5, "unknown", 7.0, "e@x.com", 6)}),
        "fill-null status = 'unknown', fill-null amount = '0'",
    ),
    Case(
        "fill-null-is-a-literal",
        FixRequest(fill_null=["email=x'); DROP TABLE orders; --"]),
        1,
        replaced({2: (3, "bogus", None, "x'); DROP TABLE orders; --", 3)}),
        'fill-null email = "x\'); DROP TABLE orders; --"',
    ),
    Case(
        "dedupe-keep-last-by-column",
        FixRequest(dedupe=True, keep="last", order_by="seq"),
        1,
        replaced({3: None}),
        "dedupe by id, keeping the last by seq",
    ),
    Case(
        "dedupe-keep-first-as-stored",
        FixRequest(dedupe=True),
        1,
        replaced({4: None}),
        "dedupe by id, keeping the first as stored",
    ),
    Case(
        "dedupe-by-other-key",
        FixRequest(dedupe=True, key=["status"], order_by="amount"),
        2,
        replaced({0: None, 1: None}),
        "dedupe by status, keeping the first by amount",
    ),
    Case(
        "quarantine-in-set",
        FixRequest(quarantine="in_set(status)"),
        1,
        replaced({2: None}),
        "quarantine rows failing in_set(status)",
    ),
    Case(
        "quarantine-between",
        FixRequest(quarantine="between(amount)"),
        2,
        replaced({3: None, 4: None}),
        "quarantine rows failing between(amount)",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fix_previews_applies_records_and_undoes(shop: Shop, case: Case) -> None:
    project = shop.project()

    preview = preview_fix(project, "orders", case.request, samples=10)
    assert (preview.rows_affected, preview.action, preview.dry_run) == (
        case.affected,
        case.action,
        True,
    )
    assert len(preview.before) >= case.affected  # dedupe shows the kept copies too
    assert multiset(shop.rows()) == multiset(ORDERS), "a dry run changed the data"
    assert list_changes(project) == []

    result = apply_fix(project, "orders", case.request, user="tester")
    assert result.rows_affected == case.affected
    assert multiset(shop.rows()) == multiset(case.after)
    change = result.change
    assert change is not None
    assert (change.user, change.dataset, change.action) == ("tester", "orders", case.action)
    assert change.rows_affected == case.affected
    [snapshot] = snapshots(open_repository(project, create=False), "orders")
    assert (snapshot.id, snapshot.tags, snapshot.rows) == (change.snapshot_id, ["before-fix"], 6)

    undo = apply_undo(project, plan_undo(project, change.id), user="tester")
    assert multiset(shop.rows()) == multiset(ORDERS)
    assert undo.undoes == change.id
    newest, original = list_changes(project)
    assert (newest.id, newest.action) == (undo.id, f"undo {change.id} ({case.action})")
    assert original.undone and not newest.undone
    if case.request.quarantine:
        assert shop.quarantined() == [], "undo leaves the moved rows in the quarantine"


def test_quarantine_keeps_the_rows_with_reason_and_time(shop: Shop) -> None:
    project = shop.project()
    result = apply_fix(project, "orders", FixRequest(quarantine="between(amount)"))
    moved = shop.quarantined()
    assert sorted((r["id"], r["seq"]) for r in moved) == [(4, 4), (4, 5)]
    assert {r["steward_reason"] for r in moved} == {"failed between(amount)"}
    assert all(r["steward_quarantined_at"] is not None for r in moved)

    # A second quarantine appends to the same table (or file).
    apply_fix(project, "orders", FixRequest(quarantine="in_set(status)"))
    assert sorted(r["id"] for r in shop.quarantined()) == [3, 4, 4]
    assert result.change is not None


def test_nothing_to_change_records_nothing(shop: Shop) -> None:
    project = shop.project()
    result = apply_fix(project, "orders", FixRequest(delete_where="id > 100"))
    assert (result.rows_affected, result.change) == (0, None)
    assert list_changes(project) == []
    assert snapshots(open_repository(project), "orders") == []


def test_dedupe_without_a_key_removes_identical_rows(shop: Shop) -> None:
    shop.put([*ORDERS, ORDERS[1], ORDERS[1], ORDERS[5]])
    shop.configure(key=())
    project = shop.project()
    result = apply_fix(project, "orders", FixRequest(dedupe=True))
    assert (result.rows_affected, result.action) == (
        3,
        "dedupe identical rows, keeping the first as stored",
    )
    assert multiset(shop.rows()) == multiset(ORDERS)
