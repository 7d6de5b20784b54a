"""``steward fix``, ``steward changes`` and ``steward undo`` as users run them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from .conftest import ORDERS, Shop, make_shop, multiset

CHANGE_KEYS = {"id", "at", "user", "dataset", "action", "rows_affected", "snapshot_id", "undone"}
TRIMMED = [(1, "new", 10.0, "A@X.com", 1), *ORDERS[1:]]


@pytest.fixture
def csv_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Shop:
    return make_shop(request, tmp_path, "csv")


@pytest.fixture
def sqlite_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Shop:
    return make_shop(request, tmp_path, "sqlite")


def no_snapshots(shop: Shop) -> bool:
    if not (shop.folder / "repo").exists():
        return True
    listed: list[object] = shop.ok("snapshots", "--format", "json").json()
    return listed == []


def snapshot_tags(shop: Shop) -> list[list[str]]:
    return [s["tags"] for s in shop.ok("snapshots", "orders", "--format", "json").json()]


def test_dry_run_shows_counts_and_samples_and_changes_nothing(csv_shop: Shop) -> None:
    result = csv_shop.ok("fix", "orders", "--trim", "email", "--dry-run", "--format", "json")
    assert result.json() == {
        "dataset": "orders",
        "action": "trim email",
        "dry_run": True,
        "rows_affected": 1,
        "change_id": None,
        "snapshot_id": None,
        "samples": {
            "before": [{"id": 1, "status": "new", "amount": 10, "email": " A@X.com ", "seq": 1}],
            "after": [{"id": 1, "status": "new", "amount": 10, "email": "A@X.com", "seq": 1}],
        },
    }
    text = csv_shop.ok("fix", "orders", "--trim", "email", "--dry-run").stdout
    assert "1 row would change (dry run: nothing was changed)" in text
    assert multiset(csv_shop.rows()) == multiset(ORDERS)
    assert csv_shop.ok("changes", "--format", "json").json() == []
    assert no_snapshots(csv_shop)


def test_fix_refuses_without_yes_off_a_terminal(sqlite_shop: Shop) -> None:
    result = sqlite_shop.steward("fix", "orders", "--trim", "email")
    assert result.returncode == 2
    assert "refusing without confirmation (pass --yes)" in result.error_line()
    assert multiset(sqlite_shop.rows()) == multiset(ORDERS)
    assert no_snapshots(sqlite_shop)


def test_applied_fix_is_snapshotted_recorded_and_listed(sqlite_shop: Shop) -> None:
    first = sqlite_shop.ok("fix", "orders", "--trim", "email", "--yes", "--format", "json").json()
    assert (first["rows_affected"], first["change_id"], first["dry_run"]) == (1, 1, False)
    second = sqlite_shop.ok("fix", "orders", "--delete-where", "status = 'bogus'", "--yes")
    assert "1 row changed (change 2;" in second.stdout
    assert "steward undo 2" in second.stdout
    assert snapshot_tags(sqlite_shop) == [["before-fix"], ["before-fix"]]

    changes = sqlite_shop.ok("changes", "--format", "json").json()
    assert [set(c) for c in changes] == [CHANGE_KEYS, CHANGE_KEYS]
    assert [(c["id"], c["action"], c["rows_affected"], c["undone"]) for c in changes] == [
        (2, "delete where status = 'bogus'", 1, False),
        (1, "trim email", 1, False),
    ]
    assert changes[1]["snapshot_id"] == first["snapshot_id"]
    assert changes[0]["at"].endswith("Z") and changes[0]["user"]
    assert sqlite_shop.ok("changes", "orders", "--format", "json").json() == changes
    assert sqlite_shop.ok("changes", "customers", "--format", "json").json() == []
    assert "delete where status = 'bogus'" in sqlite_shop.ok("changes").stdout


def test_nothing_to_change_is_not_a_change(sqlite_shop: Shop) -> None:
    result = sqlite_shop.ok("fix", "orders", "--lower", "status", "--yes")
    assert "no row needs changing; nothing was done" in result.stdout
    assert sqlite_shop.ok("changes", "--format", "json").json() == []


USAGE_ERRORS = [
    (["fix", "orders"], "say what to fix"),
    (["fix", "orders", "--trim", "email", "--delete-where", "id = 1"], "cannot be combined"),
    (["fix", "orders", "--trim", "emial"], "did you mean 'email'?"),
    (["fix", "orders", "--delete-where", "DROP TABLE orders"], "single SQL expression"),
    (["fix", "orders", "--delete-where", "id = 1; DELETE FROM orders"], "single SQL expression"),
    (["fix", "orders", "--set", "amount=0", "--where", "amount <"], "cannot parse"),
    (["fix", "orders", "--where", "id = 1"], "--where narrows --set"),
    (["fix", "orders", "--order-by", "seq"], "--order-by goes with --dedupe"),
    (["fix", "orders", "--set", "amount"], "expected COLUMN=VALUE"),
    (["fix", "orders", "--set", "amount=0", "--trim", "amount"], "already changed"),
    (["fix", "orders", "--set", "amount=nosuchfunction(amount)"], "cannot compute"),
    (["fix", "orders", "--dedupe", "--order-by", "seqq"], "did you mean 'seq'?"),
    (["fix", "orders", "--quarantine", "in_set(stats)"], "no check named 'in_set(stats)'"),
    (["fix", "orders", "--quarantine", "row_count"], "not a row-level check"),
    (["fix", "orders", "--quarantine", "unique(id)"], "use --dedupe"),
    (["fix", "ordrs", "--trim", "email"], "unknown dataset 'ordrs'"),
    (["undo", "99", "--yes"], "no change 99"),
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS, ids=[m for _, m in USAGE_ERRORS])
def test_usage_errors_are_one_line_and_exit_2(
    sqlite_shop: Shop, args: list[str], message: str
) -> None:
    result = sqlite_shop.steward(*args, "--yes") if args[0] == "fix" else sqlite_shop.steward(*args)
    assert result.returncode == 2, result.describe()
    assert message in result.error_line()
    assert multiset(sqlite_shop.rows()) == multiset(ORDERS)


def test_undo_refuses_when_the_data_changed_since_unless_forced(shop: Shop) -> None:
    shop.ok("fix", "orders", "--trim", "email", "--yes")
    shop.put([*TRIMMED, (6, "new", 1.0, "f@x.com", 7)])  # someone else writes meanwhile

    refused = shop.steward("undo", "1", "--yes")
    assert refused.returncode == 2
    line = refused.error_line()
    assert "changed since change 1" in line and "--force" in line

    shop.ok("undo", "1", "--yes", "--force")
    assert multiset(shop.rows()) == multiset(ORDERS)
    again = shop.steward("undo", "1", "--yes")
    assert (again.returncode, again.error_line()) == (2, "error: change 1 is already undone")


def test_undo_names_the_later_change_that_blocks_it(sqlite_shop: Shop) -> None:
    sqlite_shop.ok("fix", "orders", "--trim", "email", "--yes")
    sqlite_shop.ok("fix", "orders", "--lower", "email", "--yes")
    refused = sqlite_shop.steward("undo", "1", "--yes")
    assert refused.returncode == 2
    assert "change 2 (lower email) was applied after it" in refused.error_line()

    sqlite_shop.ok("undo", "2", "--yes")
    sqlite_shop.ok("undo", "1", "--yes")  # the later change is undone: nothing to lose
    assert multiset(sqlite_shop.rows()) == multiset(ORDERS)


def test_undo_needs_yes_off_a_terminal(csv_shop: Shop) -> None:
    csv_shop.ok("fix", "orders", "--trim", "email", "--yes")
    result = csv_shop.steward("undo", "1")
    assert result.returncode == 2
    assert "refusing without confirmation (pass --yes)" in result.error_line()
    assert multiset(csv_shop.rows()) == multiset(TRIMMED)


def test_undoing_an_undo_puts_the_change_back(csv_shop: Shop) -> None:
    csv_shop.ok("fix", "orders", "--trim", "email", "--yes")
    undo = csv_shop.ok("undo", "1", "--yes", "--format", "json").json()
    assert (undo["id"], undo["action"], undo["undone"]) == (2, "undo 1 (trim email)", False)
    assert multiset(csv_shop.rows()) == multiset(ORDERS)

    csv_shop.ok("undo", "2", "--yes")
    assert multiset(csv_shop.rows()) == multiset(TRIMMED)
    undone = {c["id"]: c["undone"] for c in csv_shop.ok("changes", "--format", "json").json()}
    assert undone == {3: False, 2: True, 1: False}
    assert snapshot_tags(csv_shop) == [["before-fix"], ["before-undo"], ["before-undo"]]


def test_an_undone_quarantine_cannot_be_redone(sqlite_shop: Shop) -> None:
    sqlite_shop.ok("fix", "orders", "--quarantine", "in_set(status)", "--yes")
    sqlite_shop.ok("undo", "1", "--yes")
    result = sqlite_shop.steward("undo", "2", "--yes")
    assert result.returncode == 2
    assert "quarantine the rows again instead" in result.error_line()


@pytest.mark.parametrize(
    ("path", "message"),
    [("orders*.csv", "matches 2 files"), ("orders.json", "cannot rewrite json files")],
)
def test_files_that_cannot_be_rewritten_are_refused_before_any_snapshot(
    csv_shop: Shop, path: str, message: str
) -> None:
    (csv_shop.file.parent / "orders-2.csv").write_text(csv_shop.file.read_text())
    (csv_shop.file.parent / "orders.json").write_text('{"id": 1, "email": " a "}\n')
    text = csv_shop.config.read_text().replace('path: "orders.csv"', f'path: "{path}"')
    csv_shop.config.write_text(text)
    result = csv_shop.steward("fix", "orders", "--trim", "email", "--yes")
    assert result.returncode == 2
    assert message in result.error_line()
    assert no_snapshots(csv_shop)


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[str]:
    server = postgres_url.replace("+psycopg", "", 1)
    name = f"store_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_the_audit_log_lives_in_a_postgresql_store_too(
    sqlite_shop: Shop, postgres_store: str
) -> None:
    sqlite_shop.store = postgres_store
    sqlite_shop.configure()
    sqlite_shop.ok("fix", "orders", "--fill-null", "status=unknown", "--yes")
    sqlite_shop.ok("undo", "1", "--yes")
    changes = sqlite_shop.ok("changes", "--format", "json").json()
    assert [(c["id"], c["undone"]) for c in changes] == [(2, False), (1, True)]
    assert multiset(sqlite_shop.rows()) == multiset(ORDERS)
