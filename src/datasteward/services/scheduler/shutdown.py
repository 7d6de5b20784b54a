"""Clean shutdown on SIGTERM/SIGINT: finish the current job, or abandon it if asked twice.

The first signal asks the loop to stop once the running job is done; a second one raises
:class:`JobAbandoned` in the main thread, which stops the job where it is. A job left this
way is handed back to the store so the next scheduler reruns its slot.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["JobAbandoned", "Shutdown", "stop_on_signals"]

logger = logging.getLogger("datasteward.scheduler")


class JobAbandoned(BaseException):
    """Raised by a second stop signal; a BaseException so no job's error handling eats it."""


class Shutdown:
    """A stop request shared by the loop, its clock and the signal handlers."""

    def __init__(self) -> None:
        self._requested = threading.Event()

    @property
    def requested(self) -> bool:
        return self._requested.is_set()

    def request(self) -> None:
        self._requested.set()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` or until a stop is requested."""
        self._requested.wait(max(0.0, seconds))


@contextmanager
def stop_on_signals(shutdown: Shutdown) -> Iterator[None]:
    """Turn SIGTERM and SIGINT into stop requests while the block runs (main thread only)."""

    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if shutdown.requested:
            raise JobAbandoned(f"{name} received twice")
        shutdown.request()
        logger.info("%s received: stopping after the current job (send it again to stop now)", name)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
