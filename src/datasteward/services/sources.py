"""Open each source once per run and resolve dataset names to engine relations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datasteward.compile.context import DatasetRef
from datasteward.engines import Engine, open_engine

if TYPE_CHECKING:
    from datasteward.config.models import Project

__all__ = ["SourcePool"]


class SourcePool:
    """Lazily opened engines, one per source, closed together."""

    def __init__(self, project: Project, engines: dict[str, Engine] | None = None) -> None:
        self.project = project
        self._engines: dict[str, Engine] = dict(engines or {})
        self._datasets: dict[str, DatasetRef] = {}

    def engine(self, source: str) -> Engine:
        if source not in self._engines:
            self._engines[source] = open_engine(self.project, source)
        return self._engines[source]

    def dataset(self, name: str) -> DatasetRef:
        """The engine, relation and columns of a configured dataset (KeyError if unknown)."""
        if name not in self._datasets:
            config = self.project.datasets[name]
            engine = self.engine(config.source)
            relation = engine.relation(config)
            self._datasets[name] = DatasetRef(
                name, config.source, engine, relation, engine.columns(relation)
            )
        return self._datasets[name]

    def close(self) -> None:
        for engine in self._engines.values():
            engine.close()
        self._engines.clear()

    def __enter__(self) -> SourcePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
