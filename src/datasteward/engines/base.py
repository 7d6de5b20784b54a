"""What every engine offers: a dialect, a relation per dataset, schema, and queries.

One small module per engine overrides only what differs (the sqlglot way): the compiler
never asks which engine it talks to.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

if TYPE_CHECKING:
    import pyarrow as pa

    from datasteward.config.models import DatasetConfig

__all__ = ["Column", "Engine", "QueryError", "Rows"]

_UPPER, _LOWER, _DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789"
_LETTERS = _UPPER + _LOWER + _DIGITS
_SHAPES = "A" * 26 + "a" * 26 + "9" * 10


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the engine's own type name, e.g. BIGINT, "timestamp with time zone"


@dataclass(frozen=True)
class Rows:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class QueryError(Exception):
    """The engine rejected or failed a query (a check problem, not a connection problem)."""


class Engine:
    """A connection to where data lives. Subclasses implement the abstract hooks."""

    dialect: ClassVar[str]
    #: False for engines over files: they change data by rewriting it whole (``write``).
    changes_in_place: ClassVar[bool] = True
    #: Typical relative error of ``approx_distinct`` (None: it counts exactly).
    approx_distinct_error: ClassVar[float | None] = None
    #: Whether monitoring estimates distinct counts from a row sample (``sampled_rows``)
    #: instead of counting them in the scan: without a sketch, an exact COUNT(DISTINCT)
    #: of every column costs a server more than the rest of the scan.
    distinct_from_sample: ClassVar[bool] = False
    #: Whether ``write`` into a new table runs on the connection ``fetch`` uses, with the
    #: columns typed as DuckDB types the Arrow batches: its ``before_commit`` can then
    #: query the new rows, and their row hashes are the ones the batches would give.
    fetches_new_table_before_commit: ClassVar[bool] = False
    label: str  # names the source in messages

    # -- what subclasses implement -------------------------------------------------
    def relation(self, dataset: DatasetConfig) -> exp.Expr:
        """The FROM target of a dataset: a table or a reading function."""
        raise NotImplementedError

    def columns(self, relation: exp.Expr) -> list[Column]:
        raise NotImplementedError

    def fetch(self, query: exp.Expr) -> Rows:
        """Run a query and return its rows (only ever small results: aggregates, samples)."""
        raise NotImplementedError

    def stream(self, query: exp.Expr, batch_rows: int = 65_536) -> pa.RecordBatchReader:
        """Run a query and stream its result as Arrow batches (bounded memory)."""
        raise NotImplementedError

    def fetch_samples(self, queries: Sequence[exp.Expr]) -> list[Rows | QueryError]:
        """Run queries whose LIMIT lets them stop after a few rows (failing-row samples).

        Each answer is in its query's place; a query the engine rejects gives its
        ``QueryError`` there and the others still run.
        """
        return [fetch_or_error(self.fetch, query) for query in queries]

    def close(self) -> None:
        raise NotImplementedError

    def write(
        self,
        dataset: DatasetConfig,
        target: str | None,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        *,
        before_commit: Callable[[], None] = lambda: None,
    ) -> int:
        """Write rows in ONE transaction and return how many were written.

        ``target`` None replaces the dataset's rows (the table keeps its definition);
        a name creates that new table (an error if it exists). ``before_commit`` runs after
        the last row and may raise to abandon everything: readers see the old data or the
        new, never a mix.
        """
        raise NotImplementedError

    def execute_in_transaction(self, statements: Sequence[exp.Expr]) -> list[int]:
        """Run data-changing statements in ONE transaction; return the rows each affected.

        A failure (or a kill) part-way leaves every statement undone.
        """
        raise NotImplementedError

    def row_position(self) -> exp.Expr:
        """The physical position of a row (rowid, ctid): orders rows as stored."""
        raise NotImplementedError

    # -- SQL the dialects disagree on (overridden where sqlglot's default is wrong) -----
    def median(self, value: exp.Expr, relation: exp.Expr) -> exp.Expr:
        return exp.Median(this=value)

    def stddev(self, value: exp.Expr) -> exp.Expr:
        return exp.StddevSamp(this=value)

    def approx_distinct(self, value: exp.Expr) -> exp.Expr:
        """Distinct count for monitoring; engines with a sketch (HyperLogLog) use it."""
        return exp.Count(this=exp.Distinct(expressions=[value]))

    def quantiles(self, value: exp.Expr, fractions: Sequence[float]) -> exp.Expr | None:
        """One aggregate: the continuous quantiles of ``value`` as a list (None: no such aggregate)."""
        return None

    def shape(self, value: exp.Expr) -> exp.Expr:
        """A text's pattern: letters become A or a, digits 9 (``'Ab-12'`` → ``'Aa-99'``)."""
        return exp.Anonymous(
            this="translate",
            expressions=[value, exp.Literal.string(_LETTERS), exp.Literal.string(_SHAPES)],
        )

    def regex_match(self, value: exp.Expr, pattern: str) -> exp.Expr:
        return exp.RegexpLike(this=value, expression=exp.Literal.string(pattern))

    def length(self, value: exp.Expr) -> exp.Expr:
        return exp.Length(this=exp.cast(value, exp.DataType.build("text")))

    def key_text(self, value: exp.Expr) -> exp.Expr:
        """A value as text that tells every two values apart and reads back as the value
        (how the duplicated keys of ``unique`` travel to Python and back)."""
        return exp.cast(value, exp.DataType.build("text"))

    def text_key(self, value: exp.Expr) -> exp.Expr:
        """What to compare with ``key_literal(text)`` to find the rows whose value has the
        ``key_text`` ``text`` again. Engines that type a bare string literal after what it
        is compared with (DuckDB, PostgreSQL) compare the value itself, so the filter still
        reaches indexes and Parquet statistics; others compare the text."""
        return self.key_text(value)

    def key_literal(self, text: str) -> exp.Expr:
        """What ``text_key(value)`` is compared with to find a value whose ``key_text`` is
        ``text`` (raises QueryError when the text makes no literal)."""
        return exp.Literal.string(text)

    def temporal(self, value: exp.Expr, family: str) -> exp.Expr:
        """A date/timestamp value as the engine compares it (engines with real types: as is)."""
        return value

    def sample(self, relation: exp.Expr, rows: int) -> exp.Select:
        """About ``rows`` random rows of a relation (override with the dialect's sampling)."""
        return exp.select("*").from_(relation.copy()).order_by(exp.Rand()).limit(rows)

    def sampled_rows(self, relation: exp.Expr, percent: float) -> exp.Expr:
        """The relation reduced to a repeatable random ``percent`` of its rows."""
        raise NotImplementedError

    # -- shortcuts an engine may offer (None: it has none, callers take the general way) --
    #: The widest ``high - low`` that ``distinct_in_range`` accepts.
    max_distinct_range: ClassVar[int] = 0

    def distinct_in_range(self, value: exp.Expr, low: int, high: int) -> exp.Expr | None:
        """Exact distinct count of integers known to lie in [low, high], as one bitmap aggregate."""
        return None

    def hash(self, values: Sequence[exp.Expr]) -> exp.Expr | None:
        """One integer hash of several values (equal values, equal hashes; NULLs included)."""
        return None

    def sample_share(self, relation: exp.Expr, share: float) -> exp.Select | None:
        """Each row kept with probability ``share`` (0-1), repeatably, in one parallel pass."""
        return None

    def to_sql(self, query: exp.Expr) -> str:
        return query.sql(dialect=self.dialect)

    # -- shared helpers --------------------------------------------------------------
    def row_count(self, relation: exp.Expr) -> int:
        result = self.fetch(exp.select(exp.Count(this=exp.Star())).from_(relation))
        return int(result.rows[0][0])

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def batched(rows: Iterator[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    """Group an iterator of rows into lists of at most ``size`` rows."""
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# Failing-row samples run side by side on this many connections (a query each at a time).
SAMPLE_WORKERS = min(
    4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)


def fetch_side_by_side(
    queries: Sequence[exp.Expr],
    fetchers: Sequence[Callable[[exp.Expr], Rows]],
    cancels: Sequence[Callable[[], None]] = (),
) -> list[Rows | QueryError]:
    """Answers to ``queries`` in their order, fetched by one thread per fetcher (each
    fetcher has a connection of its own): a failed query gives its ``QueryError``.

    Any other error stops the workers and is raised here. So is an interrupt (Ctrl-C) of
    the waiting thread, after ``cancels`` have stopped the queries still running.
    """
    if not fetchers:
        raise ValueError("fetch_side_by_side needs a fetcher")
    answers: list[Rows | QueryError | None] = [None] * len(queries)
    pending = iter(range(len(queries)))
    take = threading.Lock()
    stop = threading.Event()
    failures: list[BaseException] = []
    # Finished workers are counted here, not asked with ``Thread.join``/``is_alive``: a
    # ``join`` that Ctrl-C interrupts can leave a running thread marked as stopped (3.11).
    running = [len(fetchers)]
    all_done = threading.Event()
    busy: set[int] = set()  # the workers inside a query now

    def work(worker: int, fetch: Callable[[exp.Expr], Rows]) -> None:
        try:
            while not stop.is_set():
                with take:
                    index = next(pending, None)
                    if index is None:
                        return
                    busy.add(worker)
                try:
                    answers[index] = fetch_or_error(fetch, queries[index])
                except BaseException as error:  # raised again by the waiting thread
                    failures.append(error)
                    stop.set()
                    return
                finally:
                    with take:
                        busy.discard(worker)
        finally:
            with take:
                running[0] -= 1
                if not running[0]:
                    all_done.set()

    for n, fetch in enumerate(fetchers):
        threading.Thread(target=work, args=(n, fetch), name=f"samples-{n}", daemon=True).start()
    try:
        all_done.wait()
    except BaseException:
        stop.set()
        # Again, for the workers still inside a query: one that was only starting may miss
        # a cancel (DuckDB clears a pending interrupt when a query begins).
        deadline = time.monotonic() + 5
        while not all_done.is_set() and time.monotonic() < deadline:
            with take:
                inside = sorted(busy)
            for worker in inside:
                if worker < len(cancels):
                    with contextlib.suppress(Exception):
                        cancels[worker]()
            all_done.wait(timeout=0.1)
        raise
    if failures:
        raise failures[0]
    return [answer for answer in answers if answer is not None]


def fetch_or_error(fetch: Callable[[exp.Expr], Rows], query: exp.Expr) -> Rows | QueryError:
    """``fetch(query)``, or the ``QueryError`` it raised (one of several independent queries)."""
    try:
        return fetch(query)
    except QueryError as error:
        return error


def first_line(error: BaseException) -> str:
    """The first line of a driver's error message (drivers add context lines and carets)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
