"""The Python door: ``validate(df, checks)`` for pandas, Polars and Arrow tables.

The frame is registered in an in-memory DuckDB (zero copy) and checked by the same
compiler and scan service as every configured dataset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from datasteward.model import DatasetResult

__all__ = ["validate"]


def validate(
    data: Any,
    checks: Sequence[Mapping[str, Any] | str] | str,
    *,
    name: str = "data",
    as_of: datetime | None = None,
    references: Mapping[str, Any] | None = None,
) -> DatasetResult:
    """Run checks, written as in steward.yml, against a DataFrame or Arrow table.

    ``checks`` is a list of ``{type: params}`` mappings or the YAML text of such a list.
    ``references`` names other frames that ``foreign_key`` and ``sql`` checks may use.
    Nothing is stored; the result lists one CheckResult per check (and column).
    """
    from datasteward.config.loader import parse_project
    from datasteward.engines.dataframe import DataFrameEngine
    from datasteward.services.scan import scan
    from datasteward.services.sources import SourcePool

    frames = {name: data, **dict(references or {})}
    project = parse_project(_project_yaml(frames, checks), file="<validate>", base_dir=Path.cwd())
    engine = DataFrameEngine(frames)
    with SourcePool(project, {"frames": engine}) as pool:
        run = scan(project, [name], as_of=as_of, record=False, pool=pool)
    return run.datasets[0]


def _project_yaml(
    frames: Mapping[str, Any], checks: Sequence[Mapping[str, Any] | str] | str
) -> str:
    import json

    check_list = (
        checks
        if isinstance(checks, str)
        else json.dumps(
            [dict(c) if isinstance(c, Mapping) else c for c in checks],
            default=str,
            ensure_ascii=False,
        )
    )
    lines = ["version: 1", "sources: {frames: {type: duckdb, path: ':memory:'}}", "datasets:"]
    for frame in frames:
        lines.append(f"  {json.dumps(frame, ensure_ascii=False)}:")
        lines.append("    source: frames")
        lines.append(f"    table: {json.dumps(frame, ensure_ascii=False)}")
        if frame == next(iter(frames)):
            lines.append("    checks:")
            lines.extend("      " + line for line in _as_block(check_list))
    return "\n".join(lines) + "\n"


def _as_block(check_list: str) -> list[str]:
    # JSON is valid YAML flow style; YAML text given by the user is indented as a block.
    return check_list.strip().splitlines() or ["[]"]
