"""``schema_change: {}`` — fails when columns were added, removed or changed type since
the previous scan (``fail_on`` narrows which of those count)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from datasteward.checks.base import Check, CheckDefinition, CheckParams, Outcome

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext
    from datasteward.store.monitoring import MonitorLog

Change = Literal["added", "removed", "type_changed"]


class SchemaChangeParams(CheckParams):
    fail_on: list[Change] = ["added", "removed", "type_changed"]


def schema_events(
    before: Mapping[str, str], after: Mapping[str, str]
) -> list[dict[str, str | None]]:
    """Column-level differences between two schemas, in column order."""
    events: list[dict[str, str | None]] = []
    for name, kind in after.items():
        if name not in before:
            events.append({"event": "added", "column": name, "before": None, "after": kind})
        elif before[name] != kind:
            events.append(
                {"event": "type_changed", "column": name, "before": before[name], "after": kind}
            )
    for name, kind in before.items():
        if name not in after:
            events.append({"event": "removed", "column": name, "before": kind, "after": None})
    return events


class SchemaChange(CheckDefinition):
    type_name = "schema_change"
    Params = SchemaChangeParams
    needs_history = True

    def columns_used(self, check: Check, ctx: ScanContext) -> list[str]:
        return []

    def evaluate_history(
        self,
        check: Check,
        current: Mapping[tuple[str, str | None], float | None],
        history: MonitorLog | None,
        ctx: ScanContext,
    ) -> Outcome:
        from datasteward.errors import CheckDefinitionError

        assert isinstance(check.params, SchemaChangeParams)
        if history is None:
            raise CheckDefinitionError("needs metric history: this scan keeps no store")
        previous = history.previous_schema(ctx.dataset, before=ctx.as_of)
        columns = {c.name: c.type for c in ctx.columns}
        if previous is None:
            return Outcome(True, f"first recorded schema ({len(columns)} columns)", observed=[])
        events = schema_events(previous.columns, columns)
        failing = [e for e in events if e["event"] in check.params.fail_on]
        if not events:
            return Outcome(True, f"unchanged since {previous.as_of:%Y-%m-%d %H:%M}", observed=[])
        described = "; ".join(_describe(e) for e in events)
        return Outcome(
            not failing, f"since {previous.as_of:%Y-%m-%d %H:%M}: {described}", observed=events
        )


def _describe(event: Mapping[str, str | None]) -> str:
    if event["event"] == "added":
        return f"{event['column']} added ({event['after']})"
    if event["event"] == "removed":
        return f"{event['column']} removed"
    return f"{event['column']} changed {event['before']} → {event['after']}"
