"""Typed models of ``steward.yml`` (DESIGN.md section 3).

Unknown keys are errors everywhere (``extra="forbid"``): a typo must never be ignored.
Checks are kept as :class:`CheckSpec` (type, raw parameters, position); the check
catalogue validates their parameters, so adding a check type never touches this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from datasteward.config.alerts import AlertRoutes


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


class ScheduleConfig(_Strict):
    """When scheduled work runs: ``"0 6 * * *"`` (cron), ``{cron: …}`` or ``{every: 15m}``."""

    cron: str | None = None
    every: str | None = None

    @field_validator("every")
    @classmethod
    def _interval(cls, text: str | None) -> str | None:
        from datasteward.durations import parse_duration

        if text is not None and parse_duration(text).total_seconds() <= 0:
            raise ValueError("the interval must be positive")
        return text

    @field_validator("cron")
    @classmethod
    def _cron(cls, text: str | None) -> str | None:
        from croniter import croniter

        if text is not None and not croniter.is_valid(text):
            raise ValueError(f"invalid cron expression {text!r} (five fields: m h dom mon dow)")
        return text

    @model_validator(mode="after")
    def _exactly_one(self) -> ScheduleConfig:
        if (self.cron is None) == (self.every is None):
            raise ValueError("give either a cron expression or 'every: DURATION'")
        return self


def _schedule(value: Any) -> Any:
    return {"cron": value} if isinstance(value, str) else value


class DatasetConfig(_Strict):
    source: str
    path: str | None = None
    table: str | None = None
    format: Literal["parquet", "csv", "json"] | None = None
    key: list[str] = Field(default_factory=list)
    checks: list[CheckSpec] = Field(default_factory=list)
    # Column metrics (missing, distinct, min, max, mean, stddev, freshness lag) recorded
    # by every scan in the same query, for anomaly detection and trends.
    monitor: Literal["auto", "off"] = "auto"
    schedule: ScheduleConfig | None = None
    backup_schedule: ScheduleConfig | None = None

    @field_validator("schedule", "backup_schedule", mode="before")
    @classmethod
    def _schedule_forms(cls, value: Any) -> Any:
        return _schedule(value)

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
    # After ``datasets``: routes are checked against the dataset names.
    alerts: AlertRoutes = Field(default_factory=list)
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
