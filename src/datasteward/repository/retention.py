"""Which snapshots a retention policy keeps (restic's rules, per dataset).

Within each dataset, newest first, ``keep_last`` keeps the N newest snapshots and
``keep_daily``/``keep_weekly``/``keep_monthly`` keep the newest snapshot of each of the N
most recent days/ISO weeks/months that have one. Buckets are UTC. A kept delta snapshot
keeps its whole parent chain, since a restore replays it ("base of …").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from datasteward.repository.errors import RepositoryCorrupt

__all__ = ["RetentionPlan", "RetentionPolicy", "plan_retention", "select_forgettable"]

Bucket = Callable[[datetime, int], str]


@dataclass(frozen=True)
class RetentionPolicy:
    """How many snapshots to keep per dataset; None means the rule is not used."""

    keep_last: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None

    def __post_init__(self) -> None:
        for name, value in self.rules():
            if value is not None and value < 0:
                raise ValueError(f"{name} must be 0 or more, not {value}")

    @property
    def empty(self) -> bool:
        """True when no rule is set (the plan then keeps everything)."""
        return all(value is None for _, value in self.rules())

    def rules(self) -> list[tuple[str, int | None]]:
        """(field name, count) of each rule, in the order they are applied."""
        return [
            ("keep_last", self.keep_last),
            ("keep_daily", self.keep_daily),
            ("keep_weekly", self.keep_weekly),
            ("keep_monthly", self.keep_monthly),
        ]


@dataclass(frozen=True)
class RetentionPlan:
    """Snapshot ids to keep and to forget (oldest first), and why each kept one stays."""

    keep: list[str]
    forget: list[str]
    reasons: dict[str, list[str]] = field(default_factory=dict)


_BUCKETS: dict[str, tuple[str, Bucket]] = {
    "keep_last": ("last", lambda _, position: str(position)),
    "keep_daily": ("daily", lambda when, _: when.strftime("%Y-%m-%d")),
    "keep_weekly": ("weekly", lambda when, _: when.strftime("%G-W%V")),
    "keep_monthly": ("monthly", lambda when, _: when.strftime("%Y-%m")),
}


def select_forgettable(
    snapshots: Sequence[dict[str, Any]], policy: RetentionPolicy
) -> tuple[list[str], list[str]]:
    """(ids to keep, ids to forget) for snapshots with id, dataset, created_at, parent."""
    plan = plan_retention(snapshots, policy)
    return plan.keep, plan.forget


def plan_retention(snapshots: Sequence[dict[str, Any]], policy: RetentionPolicy) -> RetentionPlan:
    """The retention plan, with the reasons each kept snapshot is kept."""
    times = {str(snap["id"]): _instant(snap) for snap in snapshots}
    by_id = {str(snap["id"]): snap for snap in snapshots}
    reasons: dict[str, list[str]] = {}
    if policy.empty:
        reasons = {snapshot_id: ["no retention rule given"] for snapshot_id in by_id}
    for group in _by_dataset(snapshots).values():
        newest_first = sorted(group, key=lambda sid: (times[sid], sid), reverse=True)
        for snapshot_id, why in _apply_rules(newest_first, times, policy):
            reasons.setdefault(snapshot_id, []).append(why)
    _keep_bases(by_id, reasons)
    oldest_first = sorted(by_id, key=lambda sid: (times[sid], sid))
    return RetentionPlan(
        keep=[sid for sid in oldest_first if sid in reasons],
        forget=[sid for sid in oldest_first if sid not in reasons],
        reasons=reasons,
    )


def _apply_rules(
    newest_first: list[str], times: dict[str, datetime], policy: RetentionPolicy
) -> list[tuple[str, str]]:
    kept = []
    for rule, count in policy.rules():
        if not count:
            continue
        label, bucket_of = _BUCKETS[rule]
        last: str | None = None
        for position, snapshot_id in enumerate(newest_first):
            bucket = bucket_of(times[snapshot_id], position)
            if bucket == last:
                continue
            last = bucket
            kept.append((snapshot_id, label if rule == "keep_last" else f"{label} {bucket}"))
            count -= 1
            if not count:
                break
    return kept


def _keep_bases(by_id: dict[str, dict[str, Any]], reasons: dict[str, list[str]]) -> None:
    walked: set[str] = set()
    for child in list(reasons):
        while child not in walked:
            walked.add(child)
            parent = by_id[child].get("parent")
            if not isinstance(parent, str) or parent not in by_id:
                break
            reasons.setdefault(parent, []).append(f"base of {child}")
            child = parent


def _by_dataset(snapshots: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for snap in snapshots:
        groups.setdefault(str(snap.get("dataset", "")), []).append(str(snap["id"]))
    return groups


def _instant(snapshot: dict[str, Any]) -> datetime:
    value = snapshot.get("created_at")
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise RepositoryCorrupt(
            f"snapshot {snapshot.get('id')} has no valid created_at ({value!r})"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
