"""Engines: where checks run. ``open_engine`` picks the module for a source type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datasteward.engines.base import Column, Engine, QueryError, Rows

if TYPE_CHECKING:
    from datasteward.config.models import Project

__all__ = ["Column", "Engine", "QueryError", "Rows", "open_engine"]


def open_engine(project: Project, source_name: str) -> Engine:
    """Connect to a configured source (imports only the driver that source needs)."""
    source = project.sources[source_name]
    if source.type == "files":
        from datasteward.engines.files import FilesEngine

        return FilesEngine(project.resolve(source.root), label=source_name)
    if source.type == "duckdb":
        from datasteward.engines.duckdb import DuckDBEngine

        return DuckDBEngine(project.resolve(source.path), label=source_name)
    if source.type == "sqlite":
        from datasteward.engines.sqlite import SQLiteEngine

        return SQLiteEngine(project.resolve(source.path), label=source_name)
    from datasteward.engines.postgres import PostgresEngine

    return PostgresEngine(source.url, label=source_name)
