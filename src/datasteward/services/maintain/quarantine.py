"""``--quarantine CHECK``: move the rows failing a row-level check aside, with the reason.

Database sources get a ``<table>_quarantine`` table (created on first use, same columns
plus ``steward_reason`` and ``steward_quarantined_at``); the copy and the delete are one
transaction. Files sources get ``<name>_quarantine.parquet`` beside the file, written
before the dataset's file is rewritten, so a crash between the two can duplicate rows
there but never lose one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from sqlglot import exp

from datasteward.checks.base import Check
from datasteward.checks.catalogue import build_checks
from datasteward.checks.row_level import RowLevelCheck
from datasteward.errors import CheckDefinitionError, UsageError, did_you_mean
from datasteward.services.maintain.target import (
    Action,
    Preview,
    Target,
    count_where,
    is_true,
    sample_rows,
)

__all__ = [
    "QUARANTINED_AT",
    "REASON",
    "Quarantine",
    "moved_at",
    "quarantine_check",
    "quarantine_file",
    "quarantine_table",
]

REASON = "steward_reason"
QUARANTINED_AT = "steward_quarantined_at"
SUFFIX = "_quarantine"


def quarantine_check(target: Target, name: str) -> tuple[Check, exp.Expr]:
    """The configured check called ``name`` and the condition of the rows it fails."""
    checks = [c for spec in target.config.checks for c in build_checks(spec)]
    found = next((c for c in checks if c.name == name), None)
    if found is None:
        names = [c.name for c in checks]
        raise UsageError(
            f"--quarantine: dataset {target.dataset!r} has no check named {name!r}",
            hint=did_you_mean(name, names) or f"checks: {', '.join(names) or 'none'}",
        )
    definition = found.definition
    if not isinstance(definition, RowLevelCheck) or definition.is_alone(found, target.ctx):
        raise UsageError(
            f"--quarantine: {name!r} is not a row-level check this source can evaluate per row",
            hint="quarantine by not_null, between, in_set, regex, length, row_condition "
            "or a foreign_key within one source",
        )
    target.require(definition.columns_used(found, target.ctx), f"--quarantine {name}")
    try:
        return found, definition.failing(found, target.ctx)
    except NotImplementedError:
        raise UsageError(
            f"--quarantine: {name!r} fails rows by comparing them with each other",
            hint="use --dedupe to keep one row per key",
        ) from None
    except CheckDefinitionError as error:
        raise UsageError(f"--quarantine {name}: {error}") from None


def quarantine_table(table: exp.Table) -> exp.Table:
    """``<table>_quarantine`` in the same schema."""
    quarantine = table.copy()
    quarantine.set("this", exp.to_identifier(table.name + SUFFIX, quoted=True))
    return quarantine


def quarantine_file(path: Path) -> Path:
    return path.with_name(f"{path.stem}{SUFFIX}.parquet")


@dataclass(frozen=True)
class Quarantine(Action):
    kind: ClassVar[str] = "quarantine"
    check: str
    failing: exp.Expr
    at: datetime  # recorded on every moved row; an undo finds them by it

    def describe(self) -> str:
        return f"quarantine rows failing {self.check}"

    @property
    def reason(self) -> str:
        return f"failed {self.check}"

    def stamp(self) -> exp.Expr:
        return stamp(self.at)

    def preview(self, target: Target, samples: int) -> Preview:
        rows = count_where(target, self.failing.copy())
        if not rows or not samples:
            return Preview(rows)
        query = exp.select("*").from_(target.relation).where(self.failing.copy()).limit(samples)
        return Preview(rows, sample_rows(target, query), [])

    def moved(self, target: Target) -> exp.Select:
        """The failing rows as the quarantine keeps them."""
        return (
            exp.select(
                exp.Star(),
                exp.alias_(exp.Literal.string(self.reason), REASON),
                exp.alias_(self.stamp(), QUARANTINED_AT),
            )
            .from_(target.relation)
            .where(self.failing.copy())
        )

    def statements(self, target: Target) -> list[exp.Expr]:
        table = target.table()
        quarantine = quarantine_table(table)
        shape = (
            exp.select(
                exp.Star(),
                exp.alias_(exp.cast(exp.Null(), exp.DataType.build("text")), REASON),
                exp.alias_(exp.cast(exp.Null(), exp.DataType.build("timestamp")), QUARANTINED_AT),
            )
            .from_(table.copy())
            .where(exp.false())
        )
        columns = [
            exp.to_identifier(n, quoted=True) for n in [*target.names, REASON, QUARANTINED_AT]
        ]
        values = [
            *(exp.column(n, quoted=True) for n in target.names),
            exp.Literal.string(self.reason),
            self.stamp(),
        ]
        return [
            exp.Create(this=quarantine, kind="TABLE", exists=True, expression=shape),
            exp.Insert(
                this=exp.Schema(this=quarantine.copy(), expressions=columns),
                expression=exp.select(*values).from_(table.copy()).where(self.failing.copy()),
            ),
            exp.Delete(this=table.copy(), where=exp.Where(this=self.failing.copy())),
        ]

    def rewrite(self, target: Target) -> exp.Select:
        keep = exp.Not(this=is_true(self.failing.copy()))
        return exp.select("*").from_(target.relation).where(keep)


def stamp(at: datetime) -> exp.Expr:
    """``steward_quarantined_at`` of the rows one change moved: UTC, without a zone."""
    moment = at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return exp.cast(exp.Literal.string(moment), exp.DataType.build("timestamp"))


def moved_at(at: datetime) -> exp.Expr:
    """The rows of a quarantine that one change moved there."""
    return exp.EQ(this=exp.column(QUARANTINED_AT, quoted=True), expression=stamp(at))
