"""CSV, Parquet and JSON files (globs too), read in place by an in-memory DuckDB."""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from datasteward.engines.duckdb import DuckDBEngine
from datasteward.errors import SourceError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa

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
    changes_in_place: ClassVar[bool] = False
    fetches_new_table_before_commit: ClassVar[bool] = False  # a new "table" is a new file

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

    def write(
        self,
        dataset: DatasetConfig,
        target: str | None,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        *,
        before_commit: Callable[[], None] = lambda: None,
    ) -> int:
        assert dataset.path is not None
        file_format = dataset.format or _format_of(dataset.path, self.label)
        if target is not None:
            path = self.root / f"{target}.{'parquet' if file_format == 'parquet' else 'csv'}"
            if path.exists():
                raise UsageError(f"{path} already exists", hint="choose another --to-table name")
            file_format = "parquet" if file_format == "parquet" else "csv"
        else:
            path = self.single_file(dataset, hint="restore with --to PATH instead")
        return write_file(path, file_format, schema, batches, before_commit=before_commit)

    def single_file(self, dataset: DatasetConfig, *, hint: str) -> Path:
        """The one file a dataset is stored in (datasets over globs cannot be rewritten)."""
        assert dataset.path is not None
        matches = sorted(glob.glob(str(self.root / dataset.path)))
        if len(matches) != 1:
            raise UsageError(
                f"dataset path {dataset.path!r} matches {len(matches)} files; "
                "only a dataset stored in one file can be replaced in place",
                hint=hint,
            )
        return Path(matches[0])

    def execute_in_transaction(self, statements: Sequence[exp.Expr]) -> list[int]:
        raise NotImplementedError("files are changed by rewriting them whole: use write()")

    def row_position(self) -> exp.Expr:
        # Scans keep the file's order (DuckDB preserves insertion order by default).
        return exp.Window(this=exp.RowNumber())


def _format_of(path: str, label: str) -> str:
    suffix = Path(path.replace("*", "x")).suffix.lower()
    if suffix in _FORMATS_BY_SUFFIX:
        return _FORMATS_BY_SUFFIX[suffix]
    raise SourceError(
        f"source {label!r}: cannot tell the format of {path!r}",
        hint="set 'format: parquet|csv|json' on the dataset",
    )


def write_file(
    path: Path,
    file_format: str,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    *,
    before_commit: Callable[[], None] = lambda: None,
) -> int:
    """Stream batches into ``path`` atomically: temp file, fsync, rename, fsync folder."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    if file_format not in {"parquet", "csv"}:
        raise UsageError(f"cannot write {file_format} files", hint="write .parquet or .csv instead")
    folder = path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(handle)
    temp = Path(temp_name)
    written = 0
    try:
        writer: Any = (
            pq.ParquetWriter(
                temp, schema, compression="zstd", use_dictionary=_dictionary_columns(schema)
            )
            if file_format == "parquet"
            else pa_csv.CSVWriter(temp, schema)
        )
        with writer:
            for batch in batches:
                writer.write_batch(batch)
                written += batch.num_rows
        before_commit()
        with temp.open("rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return written


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Text columns: where Parquet's dictionary encoding pays. On numbers and times it
    mostly falls back to plain after trying; skipping it there wrote 5M orders in 1.67 s
    instead of 2.61 s, and 140 MB instead of 175 MB."""
    import pyarrow as pa

    text = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
    return [field.name for field in schema if any(is_text(field.type) for is_text in text)]


def format_of_path(path: Path) -> str:
    """The file format a path's extension names (for ``restore --to PATH``)."""
    return _format_of(path.name, "output")
