"""CSV, Parquet and JSON files (globs too), read in place by an in-memory DuckDB."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from datasteward.engines.duckdb import DuckDBEngine
from datasteward.errors import SourceError

if TYPE_CHECKING:
    from datasteward.config.models import DatasetConfig

__all__ = ["FilesEngine"]

_READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}
_FORMATS_BY_SUFFIX = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}


class FilesEngine(DuckDBEngine):
    def __init__(self, root: Path, *, label: str = "files") -> None:
        super().__init__(None, label=label)
        self.root = root

    def relation(self, dataset: DatasetConfig) -> exp.Expr:
        assert dataset.path is not None
        location = self.root / dataset.path
        if not glob.glob(str(location)):
            raise SourceError(
                f"source {self.label!r}: no file matches {str(location)!r}",
                hint="check 'root' of the source and 'path' of the dataset",
            )
        file_format = dataset.format or _format_of(dataset.path, self.label)
        reader = _READERS[file_format]
        return exp.Anonymous(this=reader, expressions=[exp.Literal.string(str(location))])


def _format_of(path: str, label: str) -> str:
    suffix = Path(path.replace("*", "x")).suffix.lower()
    if suffix in _FORMATS_BY_SUFFIX:
        return _FORMATS_BY_SUFFIX[suffix]
    raise SourceError(
        f"source {label!r}: cannot tell the format of {path!r}",
        hint="set 'format: parquet|csv|json' on the dataset",
    )
