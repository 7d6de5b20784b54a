"""Configuration: ``steward.yml`` parsed into typed, validated models."""

from datasteward.config.loader import load_project, parse_project
from datasteward.config.models import (
    CheckSpec,
    DatasetConfig,
    DuckDBSource,
    FilesSource,
    PostgresSource,
    Project,
    SourceConfig,
    SQLiteSource,
)

__all__ = [
    "CheckSpec",
    "DatasetConfig",
    "DuckDBSource",
    "FilesSource",
    "PostgresSource",
    "Project",
    "SQLiteSource",
    "SourceConfig",
    "load_project",
    "parse_project",
]
