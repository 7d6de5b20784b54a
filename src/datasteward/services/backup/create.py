"""Take a snapshot of a dataset: full, or a row-level delta against the previous one.

Full snapshots stream the dataset straight from its engine into chunks. Deltas rebuild
the previous snapshot in a scratch DuckDB, load the current data beside it, and let
DuckDB compute which rows appeared and disappeared (a multiset difference on row
identities); only those rows are stored. A full snapshot every ``full_every`` snapshots
bounds the chain a restore replays.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from datasteward.services.backup.catalog import chain_of, latest, open_repository
from datasteward.services.backup.codec import encode_chunk, rebatch
from datasteward.services.backup.fingerprint import (
    Fingerprint,
    fingerprint_value,
    hashed_stream,
    quoted,
)
from datasteward.services.backup.manifest import Manifest, encode_schema, new_snapshot_id
from datasteward.services.backup.scratch import COUNT, H1, H2, RANK, Scratch
from datasteward.services.sources import SourcePool

if TYPE_CHECKING:
    import pyarrow as pa

    from datasteward.config.models import Project
    from datasteward.repository import ChunkRef, Repository

__all__ = ["BackupProgress", "backup_dataset"]


@dataclass
class BackupProgress:
    """Callbacks for a door's progress bar: rows read and bytes stored so far."""

    on_rows: Callable[[int, int], None] | None = None  # (rows, logical bytes) added


class ChunkWriter:
    """Encode, compress, encrypt and store chunks on worker threads, keeping their order.

    At most a few chunks are in flight, so memory stays bounded by the chunk size.
    """

    def __init__(self, repository: Repository, workers: int = 2) -> None:
        self.repository = repository
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="steward-chunk")
        self.pending: deque[Future[ChunkRef]] = deque()
        self.ids: list[str] = []
        self.stored = 0
        # One chunk waiting for a thread at most: a third thread or more chunks in flight
        # cost 20-40 MB of peak RSS and were no faster on two CPUs (measured).
        self.limit = workers + 1

    def submit(self, batch: pa.RecordBatch) -> None:
        self.pending.append(self.pool.submit(self._store, batch))
        while len(self.pending) > self.limit:
            self._collect()

    def _store(self, batch: pa.RecordBatch) -> ChunkRef:
        return self.repository.put_chunk(encode_chunk(batch), compressed=True)

    def _collect(self) -> None:
        ref = self.pending.popleft().result()
        self.ids.append(ref.id)
        self.stored += ref.stored

    def finish(self) -> list[str]:
        try:
            while self.pending:
                self._collect()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
        return self.ids

    def write_all(self, batches: Iterable[pa.RecordBatch]) -> list[str]:
        for batch in batches:
            self.submit(batch)
        return self.finish()


def backup_dataset(
    project: Project,
    dataset: str,
    *,
    tags: Sequence[str] = (),
    pool: SourcePool | None = None,
    progress: BackupProgress | None = None,
    force_full: bool = False,
) -> Manifest:
    """Snapshot one dataset into the repository and return its manifest."""
    repository = open_repository(project)
    own_pool = pool is None
    sources = pool or SourcePool(project)
    fingerprint = Fingerprint()
    # The store (and SQLAlchemy, 0.1-0.3 s to import) is opened on a thread of its own,
    # while the rows stream: the manifest needs the quality status only at the end.
    lookup = ThreadPoolExecutor(max_workers=1, thread_name_prefix="steward-quality")
    try:
        quality = lookup.submit(latest_quality, project, dataset)
        with repository.writer_lock(purpose=f"backup {dataset}"):
            ref = sources.dataset(dataset)
            stream = hashed_stream(ref.engine, ref.relation, fingerprint)
            previous = latest(repository, dataset)
            draft = _Draft(
                id=new_snapshot_id(datetime.now(UTC)),
                dataset=dataset,
                source=ref.source,
                key=list(project.datasets[dataset].key),
                tags=list(tags),
                quality=quality,
            )
            target = int(project.backups.chunk_mib * 1024 * 1024)
            delta_possible = (
                previous is not None
                and not force_full
                and previous.depth + 1 < project.backups.full_every
                and previous.arrow_schema.equals(stream.schema)
            )
            base = _previous_identities(repository, previous) if delta_possible else None
            if base is not None:
                assert previous is not None
                with base:
                    batches = _counting(stream.batches(fingerprint=False), progress, quality)
                    manifest = _delta(
                        repository, draft, stream.schema, batches, previous, target, base
                    )
            else:
                batches = _counting(stream.batches(), progress, quality)
                manifest = _full(repository, draft, stream.schema, batches, target, fingerprint)
            repository.write_manifest(manifest.id, manifest.to_dict())
            return manifest
    finally:
        lookup.shutdown(wait=True)
        fingerprint.close()
        if own_pool:
            sources.close()


@dataclass(frozen=True)
class _Draft:
    id: str
    dataset: str
    source: str
    key: list[str]
    tags: list[str]
    quality: Future[tuple[str, str | None]]  # pass/fail/unknown and the scan's run id

    def manifest(self, schema: pa.Schema, **fields: object) -> Manifest:
        quality, quality_run = self.quality.result()
        return Manifest(
            id=self.id,
            dataset=self.dataset,
            source=self.source,
            created_at=datetime.now(UTC).isoformat(),
            schema=encode_schema(schema),
            key=self.key,
            tags=self.tags,
            quality=quality,
            quality_run=quality_run,
            **fields,  # type: ignore[arg-type]
        )


def _counting(
    batches: Iterable[pa.RecordBatch],
    progress: BackupProgress | None,
    quality: Future[tuple[str, str | None]],
) -> Iterable[pa.RecordBatch]:
    for batch in batches:
        # The store lookup runs beside the rows; when it has failed (an unreachable store),
        # stop now rather than write every chunk of a snapshot that cannot be completed.
        if quality.done() and (failure := quality.exception()) is not None:
            raise failure
        if progress and progress.on_rows:
            progress.on_rows(batch.num_rows, batch.nbytes)
        yield batch


def _full(
    repository: Repository,
    draft: _Draft,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    target: int,
    fingerprint: Fingerprint,
) -> Manifest:
    writer = ChunkWriter(repository)
    logical = 0
    try:
        for batch in rebatch(iter(batches), target):
            logical += batch.nbytes
            writer.submit(batch)
    finally:
        ids = writer.finish()
    return draft.manifest(
        schema,
        kind="full",
        rows=fingerprint.rows,
        bytes=logical,
        bytes_added=writer.stored,
        data_chunks=ids,
        fingerprint=fingerprint.value,
    )


def _previous_identities(repository: Repository, previous: Manifest | None) -> Scratch | None:
    """A scratch DuckDB holding the previous snapshot's row identities (with counts) as
    ``previous``, or None when they cannot be read (a damaged chunk): then a full
    snapshot is taken, so damage never blocks new backups."""
    import logging

    from datasteward.repository import RepositoryCorrupt

    assert previous is not None
    scratch = Scratch()
    try:
        scratch.identity_counts(repository, chain_of(repository, previous), "previous")
    except RepositoryCorrupt as error:
        scratch.close()
        logging.getLogger(__name__).info("taking a full snapshot: %s", error)
        return None
    return scratch


def _delta(
    repository: Repository,
    draft: _Draft,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    previous: Manifest,
    target: int,
    scratch: Scratch,
) -> Manifest:
    # The scratch database already holds the previous snapshot's identities as "previous";
    # the current rows are loaded beside them, with their identities, in one statement.
    logical = scratch.load_with_identities("current", schema, batches)
    rows, total = scratch.connection.execute(
        f"SELECT count(*), sum({H1}::HUGEINT) FROM current"
    ).fetchall()[0]
    deletes, upserts = _difference_sql(schema.names)
    writer = ChunkWriter(repository)
    delete_ids = writer.write_all(rebatch(iter(scratch.stream(deletes)), target))
    stored = writer.stored
    writer = ChunkWriter(repository)
    upsert_ids = writer.write_all(rebatch(iter(scratch.stream(upserts)), target))
    stored += writer.stored
    return draft.manifest(
        schema,
        kind="delta",
        parent=previous.id,
        depth=previous.depth + 1,
        rows=int(rows or 0),
        bytes=logical,
        bytes_added=stored,
        data_chunks=upsert_ids,
        delete_chunks=delete_ids,
        fingerprint=fingerprint_value(int(rows or 0), int(total or 0)),
    )


def _difference_sql(columns: list[str]) -> tuple[str, str]:
    """Queries for identities to drop (with counts) and rows to add, previous → current.

    ``previous`` holds identities with counts; ``current`` holds rows with identities."""
    previous = f"SELECT {H1}, {H2}, {COUNT} FROM previous"
    current = f"SELECT {H1}, {H2}, count(*) AS {COUNT} FROM current GROUP BY {H1}, {H2}"
    deletes = f"""
        WITH p AS ({previous}), c AS ({current})
        SELECT p.{H1}, p.{H2}, p.{COUNT} - coalesce(c.{COUNT}, 0) AS {COUNT}
        FROM p LEFT JOIN c USING ({H1}, {H2})
        WHERE p.{COUNT} > coalesce(c.{COUNT}, 0)
    """
    select = ", ".join("x." + quoted(c) for c in columns)
    upserts = f"""
        WITH p AS ({previous}), c AS ({current}),
             grown AS (
                SELECT c.{H1}, c.{H2}, c.{COUNT} - coalesce(p.{COUNT}, 0) AS extra
                FROM c LEFT JOIN p USING ({H1}, {H2})
                WHERE c.{COUNT} > coalesce(p.{COUNT}, 0)
             )
        SELECT {select} FROM (
            SELECT current.*, row_number() OVER (PARTITION BY {H1}, {H2}) AS {RANK}
            FROM current SEMI JOIN grown USING ({H1}, {H2})
        ) x JOIN grown g USING ({H1}, {H2})
        WHERE x.{RANK} <= g.extra
    """
    return deletes, upserts


_QUALITY_ROWS = 500  # the newest check results looked at


def latest_quality(project: Project, dataset: str) -> tuple[str, str | None]:
    """pass/fail of the newest scan of the dataset, or unknown when it was never scanned."""
    from datasteward.store.sqlite_checks import newest_check_results

    url = project.store_url()
    rows = newest_check_results(url, dataset, _QUALITY_ROWS)
    if rows is None:  # not a current SQLite store: ask through the store itself
        from datasteward.store.store import Store, when_not_busy

        def ask() -> list[tuple[str, str, str]]:
            with Store.open(url) as store:
                history = store.check_history(dataset, limit=_QUALITY_ROWS)
            return [(r.run_id, r.severity.value, r.status.value) for r in history]

        rows = when_not_busy(ask)  # a concurrent backup may be creating the store
    if not rows:
        return "unknown", None
    newest = rows[0][0]
    failed = any(
        run_id == newest and severity == "error" and status != "pass"
        for run_id, severity, status in rows
    )
    return ("fail" if failed else "pass"), newest
