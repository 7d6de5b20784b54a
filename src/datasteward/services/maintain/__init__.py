"""The maintenance service: fix data in place, with a snapshot first, an audit log and undo."""

from datasteward.services.maintain.actions import FixRequest
from datasteward.services.maintain.apply import FixResult, apply_fix, preview_fix
from datasteward.services.maintain.undo import UndoPlan, apply_undo, list_changes, plan_undo

__all__ = [
    "FixRequest",
    "FixResult",
    "UndoPlan",
    "apply_fix",
    "apply_undo",
    "list_changes",
    "plan_undo",
    "preview_fix",
]
