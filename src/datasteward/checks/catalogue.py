"""The check catalogue: every check type, registered in one place, and spec → checks."""

from __future__ import annotations

from pydantic import ValidationError

from datasteward.checks.anomaly import Anomaly
from datasteward.checks.base import Check, CheckDefinition
from datasteward.checks.between import Between
from datasteward.checks.drift import Drift
from datasteward.checks.foreign_key import ForeignKey
from datasteward.checks.freshness import Freshness
from datasteward.checks.in_set import InSet, NotInSet
from datasteward.checks.length import Length
from datasteward.checks.metric import Metric
from datasteward.checks.missing_percent import MissingPercent
from datasteward.checks.not_null import NotNull
from datasteward.checks.regex import NotRegex, Regex
from datasteward.checks.row_condition import RowCondition
from datasteward.checks.row_count import RowCount
from datasteward.checks.schema import Schema
from datasteward.checks.schema_change import SchemaChange
from datasteward.checks.sql import Sql
from datasteward.checks.unique import Unique
from datasteward.config.models import CheckSpec
from datasteward.errors import ConfigError, did_you_mean

__all__ = ["CHECK_TYPES", "build_checks"]

CHECK_TYPES: dict[str, CheckDefinition] = {
    definition.type_name: definition
    for definition in (
        RowCount(),
        NotNull(),
        Unique(),
        Between(),
        InSet(),
        NotInSet(),
        Regex(),
        NotRegex(),
        Length(),
        MissingPercent(),
        Metric(),
        Freshness(),
        RowCondition(),
        ForeignKey(),
        Schema(),
        SchemaChange(),
        Sql(),
        Anomaly(),
        Drift(),
    )
}


def build_checks(spec: CheckSpec) -> list[Check]:
    """Validate one YAML entry against its check type; ConfigError points at the line."""
    definition = CHECK_TYPES.get(spec.type)
    if definition is None:
        raise ConfigError(
            f"unknown check type {spec.type!r}",
            file=spec.file,
            line=spec.line,
            column=spec.column,
            hint=did_you_mean(spec.type, CHECK_TYPES) or "see 'Check catalogue' in the README",
        )
    try:
        params = definition.Params.model_validate(definition.shorthand(spec.params))
    except TypeError as error:
        raise ConfigError(
            f"{spec.type}: {error}", file=spec.file, line=spec.line, column=spec.column
        ) from None
    except ValidationError as error:
        raise _parameter_error(spec, definition, error) from None
    return definition.expand(params)


def _parameter_error(
    spec: CheckSpec, definition: CheckDefinition, error: ValidationError
) -> ConfigError:
    first = error.errors()[0]
    key = str(first["loc"][0]) if first["loc"] else None
    line, column = (
        spec.param_lines.get(key, (spec.line, spec.column)) if key else (spec.line, spec.column)
    )
    hint = None
    if first["type"] == "extra_forbidden" and key:
        message = f"{spec.type}: unknown parameter {key!r}"
        hint = did_you_mean(key, definition.Params.model_fields) or (
            "known: " + ", ".join(definition.Params.model_fields)
        )
    elif first["type"] == "missing" and key:
        message = f"{spec.type}: missing parameter {key!r}"
    else:
        where = f" {key!r}" if key else ""
        message = f"{spec.type}:{where} {first['msg'].removeprefix('Value error, ')}"
    return ConfigError(message, file=spec.file, line=line, column=column, hint=hint)
