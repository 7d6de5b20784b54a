"""Retention: which snapshots a policy keeps, per dataset, with their parent chains."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from datasteward.repository import (
    RepositoryCorrupt,
    RetentionPolicy,
    plan_retention,
    select_forgettable,
)


def snap(
    snapshot_id: str, created_at: str, dataset: str = "orders", parent: str | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {"id": snapshot_id, "dataset": dataset, "created_at": created_at}
    if parent:
        found["parent"] = parent
    return found


# Two a day on 1-3 Jan 2026 (a Thursday), then one each on 12 Jan and 3 Feb.
HISTORY = [
    snap("a1", "2026-01-01T08:00:00Z"),
    snap("a2", "2026-01-01T20:00:00Z"),
    snap("b1", "2026-01-02T08:00:00Z"),
    snap("b2", "2026-01-02T20:00:00Z"),
    snap("c1", "2026-01-03T08:00:00Z"),
    snap("c2", "2026-01-03T20:00:00Z"),
    snap("d1", "2026-01-12T08:00:00Z"),
    snap("e1", "2026-02-03T08:00:00Z"),
]

CASES = [
    ("last 2", RetentionPolicy(keep_last=2), ["d1", "e1"]),
    ("daily 3", RetentionPolicy(keep_daily=3), ["c2", "d1", "e1"]),
    ("daily 5", RetentionPolicy(keep_daily=5), ["a2", "b2", "c2", "d1", "e1"]),
    # ISO weeks: 1-3 Jan is 2026-W01, 12 Jan W03, 3 Feb W06.
    ("weekly 3", RetentionPolicy(keep_weekly=3), ["c2", "d1", "e1"]),
    ("monthly 2", RetentionPolicy(keep_monthly=2), ["d1", "e1"]),
    ("monthly 9", RetentionPolicy(keep_monthly=9), ["d1", "e1"]),
    ("last 1 + daily 2", RetentionPolicy(keep_last=1, keep_daily=2), ["d1", "e1"]),
    ("last 3 + monthly 2", RetentionPolicy(keep_last=3, keep_monthly=2), ["c2", "d1", "e1"]),
    ("zero keeps nothing", RetentionPolicy(keep_last=0), []),
    ("no rule keeps all", RetentionPolicy(), [s["id"] for s in HISTORY]),
]


@pytest.mark.parametrize(
    ("policy", "kept"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_policy_keeps_the_newest_in_each_bucket(policy: RetentionPolicy, kept: list[str]) -> None:
    keep, forget = select_forgettable(HISTORY, policy)
    assert keep == kept
    assert forget == [s["id"] for s in HISTORY if s["id"] not in kept]


def test_rules_apply_per_dataset() -> None:
    snapshots = [
        snap("o1", "2026-01-01T00:00:00Z"),
        snap("o2", "2026-01-02T00:00:00Z"),
        snap("c1", "2026-01-01T12:00:00Z", dataset="customers"),
    ]
    keep, forget = select_forgettable(snapshots, RetentionPolicy(keep_last=1))
    assert (keep, forget) == (["c1", "o2"], ["o1"])


CHAINS = [
    # full f1 ← delta d1 ← delta d2, then full f2 ← delta d3
    ("the newest delta keeps its chain", RetentionPolicy(keep_last=1), ["f2", "d3"]),
    ("an old delta keeps its chain", RetentionPolicy(keep_daily=5), ["f1", "d1", "d2", "f2", "d3"]),
    ("a kept full needs nothing", RetentionPolicy(keep_last=2), ["f2", "d3"]),
]
CHAIN_HISTORY = [
    snap("f1", "2026-01-01T00:00:00Z"),
    snap("d1", "2026-01-02T00:00:00Z", parent="f1"),
    snap("d2", "2026-01-03T00:00:00Z", parent="d1"),
    snap("f2", "2026-01-04T00:00:00Z"),
    snap("d3", "2026-01-05T00:00:00Z", parent="f2"),
]


@pytest.mark.parametrize(("policy", "kept"), [c[1:] for c in CHAINS], ids=[c[0] for c in CHAINS])
def test_a_kept_delta_keeps_its_parent_chain(policy: RetentionPolicy, kept: list[str]) -> None:
    keep, _ = select_forgettable(CHAIN_HISTORY, policy)
    assert keep == kept


def test_bases_are_reported_as_kept_as_base() -> None:
    plan = plan_retention(CHAIN_HISTORY[:3], RetentionPolicy(keep_last=1))
    assert plan.keep == ["f1", "d1", "d2"]
    assert plan.reasons == {"d2": ["last"], "d1": ["base of d2"], "f1": ["base of d1"]}
    assert plan.forget == []


def test_reasons_name_the_bucket() -> None:
    plan = plan_retention(HISTORY, RetentionPolicy(keep_daily=1, keep_monthly=1))
    assert plan.reasons == {"e1": ["daily 2026-02-03", "monthly 2026-02"]}


def test_times_with_offsets_are_compared_as_instants() -> None:
    snapshots = [
        snap("late", "2026-01-01T23:30:00-02:00"),  # 01:30 UTC on 2 Jan
        snap("early", "2026-01-02T00:30:00"),  # no offset: UTC
    ]
    assert select_forgettable(snapshots, RetentionPolicy(keep_last=1)) == (["late"], ["early"])
    assert select_forgettable(snapshots, RetentionPolicy(keep_daily=1)) == (["late"], ["early"])


def test_datetimes_are_accepted_as_well_as_strings() -> None:
    snapshots: list[dict[str, Any]] = [
        {"id": "old", "created_at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"id": "new", "created_at": "2026-01-02T00:00:00+00:00"},
    ]
    assert select_forgettable(snapshots, RetentionPolicy(keep_last=1)) == (["new"], ["old"])


def test_missing_parents_and_cycles_do_not_break_the_walk() -> None:
    snapshots = [
        snap("x", "2026-01-01T00:00:00Z", parent="y"),
        snap("y", "2026-01-02T00:00:00Z", parent="x"),
        snap("z", "2026-01-03T00:00:00Z", parent="forgotten"),
    ]
    keep, forget = select_forgettable(snapshots, RetentionPolicy(keep_last=1))
    assert (keep, forget) == (["z"], ["x", "y"])
    keep, _ = select_forgettable(snapshots[:2], RetentionPolicy(keep_last=1))
    assert keep == ["x", "y"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="keep_daily"):
        RetentionPolicy(keep_daily=-1)
    with pytest.raises(RepositoryCorrupt, match="created_at"):
        select_forgettable([{"id": "s", "created_at": "yesterday"}], RetentionPolicy(keep_last=1))
