"""Load ``steward.yml``: YAML with line numbers, ``${ENV}`` expansion, typed validation.

Every error names ``file:line:column`` so a user can jump straight to the mistake.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from datasteward.config.models import CheckSpec, Project
from datasteward.errors import ConfigError, did_you_mean

__all__ = ["load_project", "parse_project"]

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
Position = tuple[int, int]


def load_project(path: str | Path = "steward.yml") -> Project:
    """Read and validate a configuration file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"configuration file {str(file)!r} not found",
            hint="run 'steward init' to create one, or pass -c FILE",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {str(file)!r}: {error}") from None
    return parse_project(text, file=str(file), base_dir=file.resolve().parent)


def parse_project(text: str, *, file: str = "steward.yml", base_dir: Path | None = None) -> Project:
    """Validate configuration text; ``base_dir`` anchors relative paths."""
    document = _read_yaml(text, file)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError("the configuration must be a mapping", file=file, line=1, column=1)
    positions: dict[tuple[Any, ...], Position] = {}
    plain = _to_plain(document, (), positions, file)
    _replace_check_lists(plain, positions, file)
    for internal in ("base_dir", "config_file"):
        if internal in plain:
            line, column = _position(positions, (internal,))
            raise ConfigError(f"unknown key {internal!r}", file=file, line=line, column=column)
    plain["base_dir"] = base_dir or Path.cwd()
    plain["config_file"] = file
    try:
        project = Project.model_validate(plain)
    except ValidationError as error:
        raise _config_error(error, positions, file) from None
    _check_references(project, positions, file)
    return project


def _read_yaml(text: str, file: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = error.problem or error.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", file=file, line=line, column=column) from None
    except Exception as error:  # ruamel raises several unrelated classes for bad input
        raise ConfigError(f"invalid YAML: {error}".splitlines()[0], file=file) from None


def _to_plain(
    node: Any, path: tuple[Any, ...], positions: dict[tuple[Any, ...], Position], file: str
) -> Any:
    """Turn ruamel nodes into plain Python, recording each key's and item's position."""
    lc = getattr(node, "lc", None)
    if isinstance(node, dict):
        result: dict[Any, Any] = {}
        for key, value in node.items():
            if lc is not None:
                line, col = lc.key(key) if key in node else (lc.line, lc.col)
                positions[(*path, key)] = (line + 1, col + 1)
            result[key] = _to_plain(value, (*path, key), positions, file)
        return result
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            if lc is not None:
                line, col = lc.item(index)
                positions[(*path, index)] = (line + 1, col + 1)
            items.append(_to_plain(value, (*path, index), positions, file))
        return items
    if isinstance(node, str):
        return _expand_env(str(node), path, positions, file)
    return node


def _expand_env(
    value: str, path: tuple[Any, ...], positions: dict[tuple[Any, ...], Position], file: str
) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            line, column = _position(positions, path)
            raise ConfigError(
                f"environment variable {name} is not set",
                file=file,
                line=line,
                column=column,
                hint=f"export {name}=... before running steward",
            )
        return os.environ[name]

    return _ENV_REFERENCE.sub(substitute, value)


def _replace_check_lists(
    plain: dict[str, Any], positions: dict[tuple[Any, ...], Position], file: str
) -> None:
    """Turn each ``- type: params`` item into a :class:`CheckSpec` that keeps its position."""
    datasets = plain.get("datasets")
    if not isinstance(datasets, dict):
        return
    for name, dataset in datasets.items():
        if not isinstance(dataset, dict) or "checks" not in dataset:
            continue
        checks = dataset["checks"]
        base = ("datasets", name, "checks")
        if checks is None:
            dataset["checks"] = []
            continue
        if not isinstance(checks, list):
            line, column = _position(positions, base)
            raise ConfigError("'checks' must be a list", file=file, line=line, column=column)
        dataset["checks"] = [
            _check_spec(item, (*base, index), positions, file) for index, item in enumerate(checks)
        ]


def _check_spec(
    item: Any, path: tuple[Any, ...], positions: dict[tuple[Any, ...], Position], file: str
) -> CheckSpec:
    line, column = _position(positions, path)
    if isinstance(item, str):
        return CheckSpec(type=item, params=None, file=file, line=line, column=column)
    if not isinstance(item, dict) or len(item) != 1:
        raise ConfigError(
            "each check must be a mapping with one key, the check type",
            file=file,
            line=line,
            column=column,
            hint="for example '- not_null: [order_id]'",
        )
    ((check_type, params),) = item.items()
    line, column = _position(positions, (*path, check_type))
    param_lines = {
        str(key[-1]): pos
        for key, pos in positions.items()
        if len(key) == len(path) + 2 and key[: len(path) + 1] == (*path, check_type)
    }
    return CheckSpec(
        type=str(check_type),
        params=params,
        file=file,
        line=line,
        column=column,
        param_lines=param_lines,
    )


def _position(positions: dict[tuple[Any, ...], Position], path: tuple[Any, ...]) -> Position:
    """The position of ``path`` or of its nearest ancestor that has one."""
    for end in range(len(path), 0, -1):
        if path[:end] in positions:
            return positions[path[:end]]
    return (1, 1)


def _config_error(
    error: ValidationError, positions: dict[tuple[Any, ...], Position], file: str
) -> ConfigError:
    first = error.errors()[0]
    path = tuple(part for part in first["loc"] if not _is_union_tag(part))
    line, column = _position(positions, path)
    where = ".".join(str(part) for part in path)
    hint = None
    if first["type"] == "extra_forbidden" and path:
        tags = [part for part in first["loc"] if _is_union_tag(part)]
        known = _known_fields(path, str(tags[0]) if tags else None)
        hint = did_you_mean(str(path[-1]), known) if known else None
        message = f"unknown key {where!r}"
    elif first["type"] == "missing":
        message = f"missing required key {where!r}"
    else:
        detail = first["msg"].removeprefix("Value error, ")
        message = f"{where}: {detail}" if where else detail
    return ConfigError(message, file=file, line=line, column=column, hint=hint)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and part in {"files", "duckdb", "sqlite", "postgres"}


def _known_fields(path: tuple[Any, ...], source_type: str | None = None) -> list[str]:
    from datasteward.config import models

    source_models: dict[str, type[BaseModel]] = {
        "files": models.FilesSource,
        "duckdb": models.DuckDBSource,
        "sqlite": models.SQLiteSource,
        "postgres": models.PostgresSource,
    }
    if len(path) == 1:
        return list(models.Project.model_fields)
    if path[0] == "datasets" and len(path) == 3:
        return list(models.DatasetConfig.model_fields)
    if path[0] == "alerts" and (len(path) == 3 or path[2:3] == ("smtp",)):
        from datasteward.config.alerts import AlertRoute, SmtpConfig

        fields = (AlertRoute if len(path) == 3 else SmtpConfig).model_fields
        return [field.alias or name for name, field in fields.items()]
    if path[0] == "backups" and len(path) == 2:
        return list(models.BackupsConfig.model_fields)
    if path[0] == "sources" and len(path) == 3:
        model = source_models.get(source_type or "")
        return [f for f in model.model_fields if f != "type"] if model else []
    return []


def _check_references(
    project: Project, positions: dict[tuple[Any, ...], Position], file: str
) -> None:
    """Cross-field rules pydantic cannot express: sources exist, paths and tables fit."""
    for name, dataset in project.datasets.items():
        path = ("datasets", name)
        if dataset.source not in project.sources:
            line, column = _position(positions, (*path, "source"))
            raise ConfigError(
                f"dataset {name!r} uses unknown source {dataset.source!r}",
                file=file,
                line=line,
                column=column,
                hint=did_you_mean(dataset.source, project.sources)
                or f"define it under 'sources:' (known: {', '.join(project.sources) or 'none'})",
            )
        is_files = project.sources[dataset.source].type == "files"
        needed, other = ("path", "table") if is_files else ("table", "path")
        if getattr(dataset, needed) is None:
            line, column = _position(positions, path)
            raise ConfigError(
                f"dataset {name!r} needs '{needed}:' for a {project.sources[dataset.source].type} source",
                file=file,
                line=line,
                column=column,
            )
        if getattr(dataset, other) is not None:
            line, column = _position(positions, (*path, other))
            raise ConfigError(
                f"dataset {name!r}: '{other}:' does not apply to a "
                f"{project.sources[dataset.source].type} source",
                file=file,
                line=line,
                column=column,
                hint=f"use '{needed}:'",
            )
