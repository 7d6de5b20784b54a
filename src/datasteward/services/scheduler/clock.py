"""Time as the scheduler and the watcher see it: injectable, so tests drive time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from datasteward.services.scheduler.shutdown import Shutdown

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """Tells the time and waits; a test clock advances its time instead of waiting."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (or less, when a shutdown is requested meanwhile)."""
        ...


class SystemClock:
    """The wall clock; sleeping ends early when ``shutdown`` is requested."""

    def __init__(self, shutdown: Shutdown) -> None:
        self.shutdown = shutdown

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        self.shutdown.wait(seconds)
