"""Scan a dataset when its data changes: poll a cheap fingerprint, wait for quiet, scan.

Files sources are fingerprinted by the names, sizes and modification times of the files
the dataset's path matches (no data is read). Database sources run one small query built
with SQLGlot: ``count(*)`` and the maximum of the key columns (the first column when there
is no key) plus any columns asked for, e.g. an ``updated_at``. Each poll opens the source
afresh, so no lock or connection is held between polls (a DuckDB file stays writable).
"""

from __future__ import annotations

import glob
import logging
import os
import time
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlglot import exp

from datasteward.engines.base import QueryError
from datasteward.errors import SourceError, StewardError, UsageError, did_you_mean
from datasteward.services.scheduler.clock import Clock, SystemClock
from datasteward.services.scheduler.jobs import describe_run
from datasteward.services.scheduler.shutdown import JobAbandoned, Shutdown
from datasteward.services.sources import SourcePool

if TYPE_CHECKING:
    from datasteward.compile.context import DatasetRef
    from datasteward.config.models import Project
    from datasteward.model import Run

__all__ = ["Probe", "Scanner", "Watcher", "fingerprint_query", "probe_for"]

logger = logging.getLogger("datasteward.scheduler")

#: Returns the current fingerprint of a dataset; equal values mean "no change seen".
Probe = Callable[[], Hashable]
#: Scans datasets and records the run (``services.scan.scan``).
Scanner = Callable[["Project", list[str]], "Run"]

_MIN_SLEEP = 0.01


def probe_for(project: Project, dataset: str, columns: Sequence[str] = ()) -> Probe:
    """The fingerprint of a configured dataset (``columns``: more columns whose max to watch)."""
    if dataset not in project.datasets:
        raise UsageError(
            f"unknown dataset {dataset!r}",
            hint=did_you_mean(dataset, project.datasets)
            or f"known: {', '.join(project.datasets) or 'none'}",
        )
    config = project.datasets[dataset]
    source = project.sources[config.source]
    if source.type == "files":
        assert config.path is not None
        if columns:
            raise UsageError("--column applies to database sources; files are watched by mtime")
        return _files_probe(str(project.resolve(source.root) / config.path))
    return _query_probe(project, dataset, columns)


def _files_probe(pattern: str) -> Probe:
    def probe() -> Hashable:
        stats = []
        for name in sorted(glob.glob(pattern)):
            try:
                info = os.stat(name)
            except FileNotFoundError:
                continue  # removed between the listing and the stat: the next poll sees it
            stats.append((name, info.st_size, info.st_mtime_ns))
        return tuple(stats)

    return probe


def _query_probe(project: Project, dataset: str, columns: Sequence[str]) -> Probe:
    def probe() -> Hashable:
        with SourcePool(project) as pool:
            ref = pool.dataset(dataset)
            query = fingerprint_query(ref, [*project.datasets[dataset].key, *columns])
            try:
                return tuple(ref.engine.fetch(query).rows[0])
            except QueryError as error:
                raise SourceError(
                    f"dataset {dataset!r}: fingerprint query failed: {error}"
                ) from None

    return probe


def fingerprint_query(ref: DatasetRef, columns: Sequence[str]) -> exp.Select:
    """``SELECT count(*), max(c1), … FROM dataset``: a cheap sign that rows changed."""
    names = [c.name for c in ref.columns]
    for column in columns:
        if column not in names:
            raise UsageError(
                f"column {column!r} not found in dataset {ref.name!r}",
                hint=did_you_mean(column, names) or f"columns: {', '.join(names[:12])}",
            )
    watched = list(dict.fromkeys(columns)) or names[:1]
    maxima = [exp.Max(this=exp.column(name, quoted=True)) for name in watched]
    return exp.select(exp.Count(this=exp.Star()), *maxima).from_(ref.relation.copy())


class Watcher:
    """Polls one dataset every ``interval``; scans once it changed and then stayed quiet."""

    def __init__(
        self,
        project: Project,
        dataset: str,
        *,
        interval: timedelta,
        debounce: timedelta,
        probe: Probe | None = None,
        scanner: Scanner | None = None,
        clock: Clock | None = None,
        shutdown: Shutdown | None = None,
    ) -> None:
        self.project = project
        self.dataset = dataset
        self.interval = interval
        self.debounce = debounce
        self.probe = probe or probe_for(project, dataset)
        self.scanner = scanner or _scan
        self.shutdown = shutdown or Shutdown()
        self.clock = clock or SystemClock(self.shutdown)

    def run(self, *, once: bool = False) -> Run | None:
        """Watch until a shutdown is requested; ``once``: return the first triggered scan.

        With ``once`` a failed scan raises; otherwise it is logged and watching goes on.
        """
        seen = self.probe()
        logger.info(
            "watching %s every %.3gs (scan after %.3gs without changes)",
            self.dataset,
            self.interval.total_seconds(),
            self.debounce.total_seconds(),
        )
        try:
            return self._watch(seen, once)
        except JobAbandoned:
            return None  # a second stop signal during a scan: the scan is left unrecorded
        finally:
            logger.info("stopped watching %s", self.dataset)

    def _watch(self, seen: Hashable, once: bool) -> Run | None:
        changed_at: datetime | None = None
        while not self.shutdown.requested:
            waiting = self.interval if changed_at is None else min(self.interval, self.debounce)
            self.clock.sleep(max(waiting.total_seconds(), _MIN_SLEEP))
            if self.shutdown.requested:
                break
            current = self._poll(seen)
            now = self.clock.now()
            if current != seen:
                if changed_at is None:
                    logger.info("%s changed", self.dataset)
                seen, changed_at = current, now
            elif changed_at is not None and now - changed_at >= self.debounce:
                changed_at = None
                run = self._scan(once)
                if once and run is not None:
                    return run
        return None

    def _poll(self, previous: Hashable) -> Hashable:
        try:
            return self.probe()
        except StewardError as error:
            # e.g. the database is restarting: no news is not a change
            logger.warning("cannot poll %s: %s", self.dataset, error)
            return previous

    def _scan(self, once: bool) -> Run | None:
        started = time.perf_counter()
        try:
            run = self.scanner(self.project, [self.dataset])
        except StewardError as error:
            seconds = time.perf_counter() - started
            logger.error("scan %s: failed in %.2fs: %s", self.dataset, seconds, error)
            if once:
                raise
            return None
        seconds = time.perf_counter() - started
        logger.info("scan %s: ok in %.2fs: %s", self.dataset, seconds, describe_run(run))
        return run


def _scan(project: Project, datasets: list[str]) -> Run:
    from datasteward.services.scan import scan

    return scan(project, datasets)
