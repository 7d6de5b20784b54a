"""What a check type is: parameters, the metrics it needs, its predicate, its failing rows.

A check type is declared, not coded into the compiler. Each module of this package defines
one :class:`CheckDefinition` subclass; :mod:`datasteward.checks.catalogue` registers it.
Metrics are SQLGlot expressions over the dataset's columns; the compiler merges the metrics
of every check of a dataset into one SELECT, so one scan answers them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from datasteward.model import Severity

if TYPE_CHECKING:
    from datasteward.compile.context import ScanContext
    from datasteward.store.monitoring import MonitorLog

__all__ = ["Check", "CheckDefinition", "CheckParams", "Outcome"]


def reject_row_options(params: CheckParams, check_type: str) -> None:
    """Checks over whole-table numbers have no rows for ``where``/``mostly``/``samples``."""
    for option in ("where", "mostly", "samples"):
        if option in params.model_fields_set:
            raise ValueError(f"'{option}' does not apply to {check_type} checks")


class CheckParams(BaseModel):
    """Options every check accepts (DESIGN.md section 3)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    severity: Severity = Severity.ERROR
    where: str | None = None
    mostly: float | None = Field(default=None, ge=0, le=1)
    samples: int = Field(default=5, ge=0, le=1000)


@dataclass(frozen=True)
class Outcome:
    """What evaluating a check found; the scan service turns it into a CheckResult."""

    passed: bool
    message: str
    observed: Any = None
    failed_rows: int | None = None
    samples: list[dict[str, Any]] | None = None  # set by checks that fetch their own


@dataclass(frozen=True)
class Check:
    """One configured check, bound to at most one column (multi-column specs expand)."""

    definition: CheckDefinition
    params: CheckParams
    name: str
    column: str | None = None
    columns: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        return self.definition.type_name

    @property
    def severity(self) -> Severity:
        return self.params.severity


class CheckDefinition:
    """Base of every check type. Subclasses set ``type_name`` and ``Params`` and override
    the hooks they need; the defaults describe a check computed from aggregate metrics."""

    type_name: ClassVar[str]
    Params: ClassVar[type[CheckParams]] = CheckParams
    #: checks that cannot be part of the one aggregate query (schema, sql, …) set this
    runs_alone: ClassVar[bool] = False
    #: checks judged against stored history (anomaly, schema_change) set this; they run
    #: after the query, with this run's metric values at hand
    needs_history: ClassVar[bool] = False

    # -- configuration -------------------------------------------------------------
    def shorthand(self, raw: Any) -> Mapping[str, Any]:
        """Turn a short YAML form (``not_null: [a, b]``) into the parameter mapping."""
        if raw is None:
            return {}
        if isinstance(raw, Mapping):
            return raw
        raise TypeError(f"expected a mapping of parameters, got {type(raw).__name__}")

    def expand(self, params: CheckParams) -> list[Check]:
        """The checks one YAML entry stands for (one per column for multi-column specs)."""
        return [Check(self, params, params.name or self.default_name(params))]

    def default_name(self, params: CheckParams, column: str | None = None) -> str:
        return f"{self.type_name}({column})" if column else self.type_name

    # -- compilation ---------------------------------------------------------------
    def columns_used(self, check: Check, ctx: ScanContext) -> list[str]:
        """Columns that must exist for the check to run (checked before compiling)."""
        used = list(check.columns) or ([check.column] if check.column else [])
        if check.params.where:
            used += ctx.columns_in(check.params.where)
        return used

    def metrics(self, check: Check, ctx: ScanContext) -> dict[str, exp.Expr]:
        """Aggregate expressions over the dataset, by local name."""
        return {}

    def evaluate(self, check: Check, values: Mapping[str, Any], ctx: ScanContext) -> Outcome:
        """Decide pass or fail from the metric values."""
        raise NotImplementedError

    def failing_rows(
        self,
        check: Check,
        ctx: ScanContext,
        limit: int,
        values: Mapping[str, Any] | None = None,
    ) -> exp.Select | None:
        """A query returning sample failing rows, or None when rows make no sense.

        ``values`` are the check's metric values from the main query, when at hand.
        """
        return None

    def is_alone(self, check: Check, ctx: ScanContext) -> bool:
        """Whether this check runs outside the aggregate query (see ``runs_alone``)."""
        return self.runs_alone

    def run_alone(self, check: Check, ctx: ScanContext) -> Outcome:
        """For ``runs_alone`` checks: run outside the aggregate query."""
        raise NotImplementedError

    def evaluate_history(
        self,
        check: Check,
        current: Mapping[tuple[str, str | None], float | None],
        history: MonitorLog | None,
        ctx: ScanContext,
    ) -> Outcome:
        """For ``needs_history`` checks: judge this run's values against the store."""
        raise NotImplementedError

    def metric_values(self, check: Check, values: Mapping[str, Any]) -> dict[str, float | None]:
        """Numbers worth keeping in the metric history, by metric name."""
        return {}


def filtered(check: Check, ctx: ScanContext, condition: exp.Expr | None) -> exp.Expr:
    """``condition AND where`` (the check's ``where`` option), or TRUE when both are absent."""
    parts = [p for p in (ctx.where_of(check), condition) if p is not None]
    if not parts:
        return exp.true()
    return exp.and_(*parts) if len(parts) > 1 else parts[0]


def count_if(condition: exp.Expr) -> exp.Expr:
    """COUNT(CASE WHEN condition THEN 1 END): portable to every dialect, 0 when none."""
    if isinstance(condition, exp.Boolean) and condition.this is True:
        return exp.Count(this=exp.Star())  # the same metric as the dataset's row count
    return exp.Count(this=exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))]))


def value_if(condition: exp.Expr, value: exp.Expr) -> exp.Expr:
    """CASE WHEN condition THEN value END, the value an aggregate sees under ``where``."""
    if isinstance(condition, exp.Boolean) and condition.this is True:
        return value
    return exp.Case(ifs=[exp.If(this=condition, true=value)])


def as_number(value: Any) -> float | None:
    """Engines return Decimal, int or float; comparisons and JSON want float."""
    if value is None:
        return None
    return float(value)
