"""Typed models of ``steward.yml`` (DESIGN.md section 3).

Unknown keys are errors everywhere (``extra="forbid"``): a typo must never be ignored.
Checks are kept as :class:`CheckSpec` (type, raw parameters, position); the check
catalogue validates their parameters, so adding a check type never touches this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FilesSource(_Strict):
    """CSV, Parquet and JSON files under a root folder, read by DuckDB."""

    type: Literal["files"]
    root: str = "."


class DuckDBSource(_Strict):
    type: Literal["duckdb"]
    path: str


class SQLiteSource(_Strict):
    type: Literal["sqlite"]
    path: str


class PostgresSource(_Strict):
    type: Literal["postgres"]
    url: str


SourceConfig = Annotated[
    FilesSource | DuckDBSource | SQLiteSource | PostgresSource, Field(discriminator="type")
]


class CheckSpec(BaseModel):
    """One entry of a dataset's ``checks:`` list, before the catalogue validates it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    type: str
    params: Any
    file: str | None = None
    line: int | None = None
    column: int | None = None
    # Positions of the parameter keys, so parameter errors point at the right line.
    param_lines: dict[str, tuple[int, int]] = Field(default_factory=dict)


class DatasetConfig(_Strict):
    source: str
    path: str | None = None
    table: str | None = None
    format: Literal["parquet", "csv", "json"] | None = None
    key: list[str] = Field(default_factory=list)
    checks: list[CheckSpec] = Field(default_factory=list)

    @field_validator("key", mode="before")
    @classmethod
    def _key_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class EncryptionConfig(_Strict):
    passphrase_env: str


class BackupsConfig(_Strict):
    repository: str = ".steward/backups"
    encryption: EncryptionConfig | None = None
    # A full snapshot after this many deltas bounds the chain a restore replays.
    full_every: int = Field(default=8, ge=1, le=1000)
    # Uncompressed size of one chunk; memory use is bounded by a few of these.
    chunk_mib: float = Field(default=4.0, gt=0, le=256)


class Project(_Strict):
    """A whole ``steward.yml``; ``base_dir`` is the folder relative paths start from."""

    version: Literal[1] = 1
    store: str = "sqlite:///.steward/steward.db"
    backups: BackupsConfig = Field(default_factory=BackupsConfig)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)
    base_dir: Path = Path(".")
    config_file: str | None = None

    def resolve(self, path: str) -> Path:
        """A path from the configuration, made absolute against the project folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    def repository_location(self) -> str:
        """The backup repository: an fsspec URL as written, or a folder anchored here."""
        location = self.backups.repository
        return location if "://" in location else str(self.resolve(location))

    def store_url(self) -> str:
        """The store URL with a relative SQLite path anchored at the project folder."""
        prefix = "sqlite:///"
        if self.store.startswith(prefix) and not self.store.startswith(prefix + "/"):
            return prefix + str(self.resolve(self.store[len(prefix) :]))
        return self.store
