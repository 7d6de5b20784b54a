"""DuckDB databases, and the DuckDB connection other door-less inputs reuse."""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from datasteward.engines.base import (
    SAMPLE_WORKERS,
    Column,
    Engine,
    QueryError,
    Rows,
    fetch_or_error,
    fetch_side_by_side,
    first_line,
)
from datasteward.errors import SourceError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from datasteward.config.models import DatasetConfig

__all__ = ["ArrowSource", "DuckDBEngine", "table_relation"]


def table_relation(name: str) -> exp.Table:
    """``schema.table`` from the configuration as a quoted table reference."""
    parts = name.split(".")
    table = exp.to_identifier(parts[-1], quoted=True)
    schema = exp.to_identifier(parts[-2], quoted=True) if len(parts) > 1 else None
    catalog = exp.to_identifier(parts[-3], quoted=True) if len(parts) > 2 else None
    return exp.Table(this=table, db=schema, catalog=catalog)


class ArrowSource:
    """Batches that one DuckDB statement reads as an Arrow stream, counted as they pass.

    ``run`` pulls the batches on the calling thread (a sqlite3 connection, for one, only
    works on the thread that opened it) and hands them to the statement, which DuckDB
    runs on a helper thread, through a queue of two batches: memory stays bounded. An
    exception raised while producing a batch (a damaged chunk, a lost connection) is
    raised as itself, not wrapped in DuckDB's error.
    """

    def __init__(self, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
        self.schema = schema
        self.batches = batches
        self.rows = 0
        self.bytes = 0

    def run(self, connection: Any, name: str, statement: str) -> None:
        """Execute ``statement``, in which the batches are the relation ``name``."""
        import pyarrow as pa

        handoff: queue.Queue[object] = queue.Queue(maxsize=2)
        finished = threading.Event()
        failure: list[BaseException] = []

        def execute() -> None:
            try:
                connection.execute(statement)
            except BaseException as error:  # re-raised on the calling thread
                failure.append(error)
            finally:
                finished.set()

        connection.register(name, pa.RecordBatchReader.from_batches(self.schema, _drain(handoff)))
        worker = threading.Thread(target=execute, name="steward-duckdb", daemon=True)
        worker.start()
        try:
            produced: object = _DONE
            try:
                for batch in self.batches:
                    if not _offer(handoff, batch, finished):
                        failure.append(RuntimeError("DuckDB stopped reading rows early"))
                        break
                    self.rows += batch.num_rows
                    self.bytes += batch.nbytes
            except BaseException as error:
                produced = error
                raise
            finally:
                _offer(handoff, produced, finished)
                worker.join()
        finally:
            with contextlib.suppress(Exception):  # gone with a rolled-back transaction
                connection.unregister(name)
        if failure:
            raise failure[0]  # the statement's own error comes first


_DONE = object()


def _offer(handoff: queue.Queue[object], item: object, finished: threading.Event) -> bool:
    """Put ``item`` in the queue unless the statement has ended (then it never reads it)."""
    while not finished.is_set():
        try:
            handoff.put(item, timeout=0.05)
        except queue.Full:
            continue
        return True
    return False


def _drain(handoff: queue.Queue[object]) -> Iterator[pa.RecordBatch]:
    while True:
        item = handoff.get()
        if item is _DONE:
            return
        if isinstance(item, BaseException):
            raise RuntimeError("the rows could not be read")  # the caller raises ``item``
        yield item  # type: ignore[misc]


class _OneThread:
    """``SET threads = 1`` while samples run, and the setting back after the last of them.

    ``threads`` belongs to the database, which every connection to its file shares within
    a process: two scans of one file at once (the server's workers) would otherwise each
    restore what they found, and the later one would leave the database at one thread.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._inside: dict[str, tuple[int, int]] = {}  # database → (samples running, threads)

    def enter(self, database: str, connection: Any) -> None:
        with self._guard:
            running, threads = self._inside.get(database, (0, 0))
            if not running:
                row = connection.execute("SELECT current_setting('threads')").fetchone()
                threads = int(row[0])
                connection.execute("SET threads = 1")
            self._inside[database] = (running + 1, threads)

    def leave(self, database: str, connection: Any) -> None:
        with self._guard:
            running, threads = self._inside.pop(database)
            if running > 1:
                self._inside[database] = (running - 1, threads)
            else:
                connection.execute(f"SET threads = {threads}")


_ONE_THREAD = _OneThread()


class DuckDBEngine(Engine):
    dialect: ClassVar[str] = "duckdb"
    # Whether a cursor (a second connection to the same database) sees every relation the
    # engine reads: not so for DataFrames registered on the first connection.
    cursors_share_relations: ClassVar[bool] = True
    fetches_new_table_before_commit: ClassVar[bool] = True  # see _write_duckdb
    approx_distinct_error: ClassVar[float | None] = 0.02  # HyperLogLog; measured 0-4%

    def __init__(self, path: Path | None = None, *, label: str = "duckdb") -> None:
        import duckdb

        self.label = label
        self.path = path
        try:
            if path is None:
                self.connection: duckdb.DuckDBPyConnection = duckdb.connect()
            else:
                if not path.exists():
                    raise SourceError(f"source {label!r}: DuckDB file {str(path)!r} not found")
                # Read-only lets scans run beside a writer of the same file.
                self.connection = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as error:
            raise SourceError(
                f"source {label!r}: cannot open {path}: {first_line(error)}"
            ) from None
        # DuckDB draws a progress bar on stdout for long queries: it would corrupt JSON output.
        self.connection.execute("SET enable_progress_bar = false")

    def relation(self, dataset: DatasetConfig) -> exp.Expr:
        assert dataset.table is not None
        return table_relation(dataset.table)

    def columns(self, relation: exp.Expr) -> list[Column]:
        query = exp.select("*").from_(relation).limit(0)
        result = self._execute(query, source_problem=True)
        return [Column(str(d[0]), str(d[1])) for d in result.description or []]

    def fetch(self, query: exp.Expr) -> Rows:
        return self._fetch_on(self.connection, query)

    def _fetch_on(self, connection: Any, query: exp.Expr) -> Rows:
        import duckdb

        result = self._execute(query, connection=connection)
        names = [str(d[0]) for d in result.description or []]
        try:
            rows = result.fetchall()
        except duckdb.Error as error:  # a value Python cannot hold, say
            raise QueryError(first_line(error)) from None
        return Rows(names, [tuple(row) for row in rows])

    def fetch_samples(self, queries: Sequence[exp.Expr]) -> list[Rows | QueryError]:
        # Each sample runs on one DuckDB thread: with more, each thread scans ahead a whole
        # row group before the LIMIT stops them (0.42-0.65 s instead of 0.25-0.30 s for the
        # nine samples of the scan benchmark, at twice the CPU). The samples run side by
        # side on cursors instead, one per CPU: 0.19 s → 0.12 s there.
        if not queries:
            return []
        database = str(self.path.resolve()) if self.path is not None else f"memory:{id(self)}"
        _ONE_THREAD.enter(database, self.connection)
        try:
            workers = min(len(queries), SAMPLE_WORKERS) if self.cursors_share_relations else 1
            if workers <= 1:
                return [fetch_or_error(self.fetch, query) for query in queries]
            return self._fetch_side_by_side(queries, workers)
        finally:
            _ONE_THREAD.leave(database, self.connection)

    def _fetch_side_by_side(
        self, queries: Sequence[exp.Expr], workers: int
    ) -> list[Rows | QueryError]:
        cursors = [self.connection.cursor() for _ in range(workers)]
        try:
            fetchers = [functools.partial(self._fetch_on, cursor) for cursor in cursors]
            return fetch_side_by_side(queries, fetchers, [c.interrupt for c in cursors])
        finally:
            for cursor in cursors:
                with contextlib.suppress(Exception):  # still busy after an interrupt
                    cursor.close()

    def stream(self, query: exp.Expr, batch_rows: int = 65_536) -> pa.RecordBatchReader:
        import duckdb

        try:
            return self.connection.sql(self.to_sql(query)).to_arrow_reader(batch_rows)
        except duckdb.Error as error:
            raise QueryError(first_line(error)) from None

    def close(self) -> None:
        self.connection.close()

    def approx_distinct(self, value: exp.Expr) -> exp.Expr:
        return exp.ApproxDistinct(this=value)

    def quantiles(self, value: exp.Expr, fractions: Sequence[float]) -> exp.Expr | None:
        points = exp.Array(expressions=[exp.Literal.number(f) for f in fractions])
        return exp.Anonymous(this="quantile_cont", expressions=[value, points])

    def text_key(self, value: exp.Expr) -> exp.Expr:
        return value  # a string literal compared with a column is cast to its type

    def shape(self, value: exp.Expr) -> exp.Expr:
        # DuckDB's regexp_replace is about three times faster than its translate.
        for pattern, letter in (("[A-Z]", "A"), ("[a-z]", "a"), ("[0-9]", "9")):
            value = exp.Anonymous(
                this="regexp_replace",
                expressions=[
                    value,
                    exp.Literal.string(pattern),
                    exp.Literal.string(letter),
                    exp.Literal.string("g"),
                ],
            )
        return value

    max_distinct_range: ClassVar[int] = 1 << 26  # an 8 MiB bitmap per thread at most

    def distinct_in_range(self, value: exp.Expr, low: int, high: int) -> exp.Expr | None:
        bitmap = exp.Anonymous(
            this="bitstring_agg",
            expressions=[value, exp.Literal.number(low), exp.Literal.number(high)],
        )
        return exp.Anonymous(this="bit_count", expressions=[bitmap])

    def hash(self, values: Sequence[exp.Expr]) -> exp.Expr | None:
        return exp.Anonymous(this="hash", expressions=list(values))

    def sample_share(self, relation: exp.Expr, share: float) -> exp.Select | None:
        # Bernoulli runs in parallel; a reservoir over millions of rows takes one thread.
        query = exp.select("*").from_(relation.copy())
        percent, seed = exp.Literal.number(f"{100 * share:.6g}"), exp.Literal.number(0)
        query.set(
            "sample", exp.TableSample(method=exp.var("BERNOULLI"), percent=percent, seed=seed)
        )
        return query

    def write(
        self,
        dataset: DatasetConfig,
        target: str | None,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        *,
        before_commit: Callable[[], None] = lambda: None,
    ) -> int:
        import duckdb

        self._make_writable()
        assert dataset.table is not None
        table = table_relation(target or dataset.table)
        try:
            return _write_duckdb(
                self.connection,
                table,
                schema,
                batches,
                create=target is not None,
                before_commit=before_commit,
            )
        except duckdb.Error as error:
            raise SourceError(
                f"source {self.label!r}: cannot write {table.sql('duckdb')}: {first_line(error)}"
            ) from None

    def execute_in_transaction(self, statements: Sequence[exp.Expr]) -> list[int]:
        import duckdb

        self._make_writable()
        counts: list[int] = []
        try:
            self.connection.execute("BEGIN TRANSACTION")
            try:
                for statement in statements:
                    counts.append(_affected(self.connection.execute(self.to_sql(statement))))
                self.connection.execute("COMMIT")
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
        except duckdb.Error as error:
            raise SourceError(
                f"source {self.label!r}: the change was rolled back: {first_line(error)}"
            ) from None
        return counts

    def row_position(self) -> exp.Expr:
        return exp.column("rowid")

    def sample(self, relation: exp.Expr, rows: int) -> exp.Select:
        # Reservoir sampling: one pass, exactly ``rows`` rows, repeatable with a seed.
        query = exp.select("*").from_(relation.copy())
        size, seed = exp.Literal.number(rows), exp.Literal.number(0)
        query.set("sample", exp.TableSample(method=exp.var("RESERVOIR"), size=size, seed=seed))
        return query

    def _make_writable(self) -> None:
        import duckdb

        if self.path is not None and not getattr(self, "_writable", False):
            # Scans open the file read-only; writing needs the one read-write connection.
            self.connection.close()
            try:
                self.connection = duckdb.connect(str(self.path))
            except duckdb.Error as error:
                raise SourceError(
                    f"source {self.label!r}: cannot open {self.path} for writing: "
                    f"{first_line(error)}",
                    hint="another process may have the DuckDB file open",
                ) from None
            self.connection.execute("SET enable_progress_bar = false")
            self._writable = True

    def _execute(
        self, query: exp.Expr, *, source_problem: bool = False, connection: Any = None
    ) -> Any:
        import duckdb

        try:
            return (connection or self.connection).execute(self.to_sql(query))
        except (duckdb.IOException, duckdb.CatalogException) as error:
            if source_problem:
                raise SourceError(f"source {self.label!r}: {first_line(error)}") from None
            raise QueryError(first_line(error)) from None
        except duckdb.Error as error:
            raise QueryError(first_line(error)) from None


def _affected(result: Any) -> int:
    """Rows a DML statement changed: DuckDB answers with one row holding the count."""
    row = result.fetchone() if result.description else None
    return int(row[0]) if row and isinstance(row[0], int) else 0


@contextlib.contextmanager
def _insertion_order_not_preserved(connection: Any) -> Iterator[None]:
    """``preserve_insertion_order`` off for the block, then back to what it was (the
    setting belongs to the whole database, which scans share)."""
    (previous,) = connection.execute(
        "SELECT current_setting('preserve_insertion_order')"
    ).fetchone()
    connection.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        connection.execute(f"SET preserve_insertion_order = {'true' if previous else 'false'}")


def _write_duckdb(
    connection: Any,
    table: exp.Table,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    *,
    create: bool,
    before_commit: Callable[[], None],
) -> int:
    """Rows into a DuckDB table inside one transaction (shared by DuckDB engines).

    One ``INSERT … SELECT`` streams every batch: DuckDB writes the rows out as they come
    (an ``INSERT`` per batch kept them all in memory until ``COMMIT``). Row order is not
    part of a restore's contract, so DuckDB may insert out of order (measured on 5M rows:
    2.3 s instead of 2.8 s, 510 MB instead of 565-610 MB)."""
    import pyarrow as pa

    name = table.sql("duckdb")
    source = ArrowSource(schema, batches)
    with _insertion_order_not_preserved(connection):
        connection.execute("BEGIN TRANSACTION")
        try:
            if create:
                # DuckDB maps Arrow types itself (lists, structs, intervals, small integers).
                connection.register("steward_schema", pa.Table.from_batches([], schema=schema))
                connection.execute(f"CREATE TABLE {name} AS SELECT * FROM steward_schema")
                connection.unregister("steward_schema")
            else:
                connection.execute(f"DELETE FROM {name}")
            columns = ", ".join(
                exp.to_identifier(n, quoted=True).sql("duckdb") for n in schema.names
            )
            source.run(
                connection,
                "steward_rows",
                f"INSERT INTO {name} ({columns}) SELECT {columns} FROM steward_rows",
            )
            before_commit()
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return source.rows
