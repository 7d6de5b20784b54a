"""What the user asked ``steward fix`` to do, turned into one action over one dataset.

User SQL (``--set`` values, ``--where``, ``--delete-where``) is parsed with SQLGlot and
embedded as expression trees; ``--fill-null`` values are literals. One kind of change per
fix: the column edits (``--set``, ``--trim``, ``--lower``, ``--fill-null``) combine into
one UPDATE, the others stand alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp

from datasteward.compile.user_sql import column_names, parse_condition
from datasteward.errors import UsageError
from datasteward.services.maintain.dedupe import Dedupe
from datasteward.services.maintain.edits import ColumnEdits, DeleteRows
from datasteward.services.maintain.quarantine import Quarantine, quarantine_check
from datasteward.services.maintain.target import Action, Target

__all__ = ["FixRequest", "build_action"]

_KINDS = "--set/--trim/--lower/--fill-null, --delete-where, --dedupe or --quarantine"


@dataclass(frozen=True)
class FixRequest:
    """The options of ``steward fix``, as typed."""

    set: Sequence[str] = ()  # COL=SQL_EXPR
    where: str | None = None
    delete_where: str | None = None
    dedupe: bool = False
    key: Sequence[str] = ()
    keep: str | None = None  # first | last
    order_by: str | None = None
    trim: Sequence[str] = ()
    lower: Sequence[str] = ()
    fill_null: Sequence[str] = ()  # COL=VALUE
    quarantine: str | None = None

    @property
    def edits(self) -> bool:
        return bool(self.set or self.trim or self.lower or self.fill_null)

    def kinds(self) -> list[str]:
        chosen = {
            "column edits": self.edits,
            "--delete-where": self.delete_where is not None,
            "--dedupe": self.dedupe,
            "--quarantine": self.quarantine is not None,
        }
        return [name for name, given in chosen.items() if given]


def build_action(request: FixRequest, target: Target, at: datetime) -> Action:
    """The one action the request asks for, validated against the dataset's columns."""
    _refuse_stray_options(request)
    kinds = request.kinds()
    if not kinds:
        raise UsageError(f"say what to fix: {_KINDS}", hint="see 'steward fix --help'")
    if len(kinds) > 1:
        raise UsageError(
            f"{' and '.join(kinds)} cannot be combined: one kind of change per fix",
            hint="run one fix after the other; each can be undone on its own",
        )
    if request.edits:
        return _column_edits(request, target)
    if request.delete_where is not None:
        where = _condition(request.delete_where, target, "--delete-where")
        return DeleteRows(where=where, where_text=request.delete_where.strip())
    if request.dedupe:
        return _dedupe(request, target)
    assert request.quarantine is not None
    check, failing = quarantine_check(target, request.quarantine)
    return Quarantine(check=check.name, failing=failing, at=at)


def _refuse_stray_options(request: FixRequest) -> None:
    if request.where is not None and not request.edits:
        raise UsageError(
            "--where narrows --set, --trim, --lower and --fill-null only",
            hint="to delete rows use --delete-where COND",
        )
    if not request.dedupe:
        for option, value in (("--key", request.key), ("--keep", request.keep)):
            if value:
                raise UsageError(f"{option} goes with --dedupe")
        if request.order_by is not None:
            raise UsageError("--order-by goes with --dedupe")


def _condition(text: str, target: Target, option: str) -> exp.Expr:
    condition = parse_condition(text, target.dialect, what=option)
    target.require(column_names(condition), option)
    return condition


def _pair(text: str, option: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise UsageError(f"{option}: expected COLUMN=VALUE, got {text!r}")
    return name.strip(), value.strip() if option == "--set" else value


def _column_edits(request: FixRequest, target: Target) -> ColumnEdits:
    values: dict[str, exp.Expr] = {}
    labels: list[str] = []
    for text in request.fill_null:
        name, value = _pair(text, "--fill-null")
        current = values.get(name, target.column(name, "--fill-null"))
        values[name] = exp.Coalesce(this=current, expressions=[exp.Literal.string(value)])
        labels.append(f"fill-null {name} = {value!r}")
    for option, names, function in (
        ("--trim", request.trim, exp.Trim),
        ("--lower", request.lower, exp.Lower),
    ):
        for name in names:
            current = values.get(name, target.column(name, option))
            values[name] = function(this=current)
            labels.append(f"{option[2:]} {name}")
    for text in request.set:
        name, sql = _pair(text, "--set")
        target.require([name], "--set")
        if name in values:
            raise UsageError(f"--set {name}: {name!r} is already changed by another option")
        values[name] = _condition(sql, target, f"--set {name}")
        labels.append(f"set {name} = {sql}")
    where = None if request.where is None else _condition(request.where, target, "--where")
    return ColumnEdits(
        values=tuple(values.items()),
        labels=tuple(labels),
        where=where,
        where_text=None if request.where is None else request.where.strip(),
    )


def _dedupe(request: FixRequest, target: Target) -> Dedupe:
    keep = request.keep or "first"
    if keep not in ("first", "last"):
        raise UsageError(f"--keep must be first or last, not {keep!r}")
    key = list(request.key) or list(target.config.key)
    target.require(key, "--key" if request.key else "the dataset's key")
    if request.order_by is not None:
        target.require([request.order_by], "--order-by")
    return Dedupe(
        key=tuple(key or target.names),
        keep=keep,
        order_by=request.order_by,
        whole_rows=not key,
    )
