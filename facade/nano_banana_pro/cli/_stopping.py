"""Ctrl-C in a batch: running items stop at their next pause, after recording their task."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

from ..clock import SystemClock

__all__ = ["StoppableClock", "StoppedError", "stop_on_ctrl_c"]

#: How often a wait that a webhook can cut short looks whether the batch was stopped (seconds).
_STOP_CHECK = 0.05


class StoppedError(Exception):
    """The batch was stopped (Ctrl-C) while an item was pausing."""


@contextlib.contextmanager
def stop_on_ctrl_c(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C sets `stop` as it interrupts, so that running items end at their next pause.

    `generate_many` lets its running items finish before Ctrl-C propagates: without the stop,
    it would wait for them. Signal handlers can be set from the main thread only.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        stop.set()
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class StoppableClock(SystemClock):
    """The real clock, except that a sleep ends with `StoppedError` once the batch is stopped.

    Every pause of the client (between polls, before a retry, under the rate limit) goes
    through the clock, so items stop at their next pause; the ledger already holds their task.
    """

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def sleep(self, seconds: float) -> None:
        """Block for `seconds`, or until the batch is stopped.

        Raises:
            StoppedError: the batch was stopped.
        """
        if self._stop.wait(max(0.0, seconds)):
            raise StoppedError

    def wait_event(self, event: threading.Event, seconds: float) -> None:
        """Block for `seconds`, until `event` is set, or until the batch is stopped.

        Raises:
            StoppedError: the batch was stopped.
        """
        deadline = time.monotonic() + max(0.0, seconds)
        while not event.is_set():
            if self._stop.is_set():
                raise StoppedError
            left = deadline - time.monotonic()
            if left <= 0:
                return
            event.wait(min(left, _STOP_CHECK))
