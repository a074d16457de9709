"""Time, injectable: the client reads and spends time only through a `Clock`.

Tests (and `nano_banana_pro.testing`) pass a virtual clock, so waits, backoffs and deadlines run
in no real time and deterministically.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import asyncio

__all__ = ["Clock", "LoopClock", "SystemClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    """A source of monotonic time that can also wait."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` (blocking)."""
        ...

    async def asleep(self, seconds: float) -> None:
        """Wait `seconds` without blocking the event loop."""
        ...


class SystemClock:
    """The real clock (`time.monotonic`, `time.sleep`, `asyncio.sleep`)."""

    def monotonic(self) -> float:
        """Seconds from `time.monotonic()`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block for `seconds`."""
        time.sleep(max(0.0, seconds))

    async def asleep(self, seconds: float) -> None:
        """Yield to the event loop for `seconds`."""
        import asyncio  # here, so that sync-only programs never import asyncio

        await asyncio.sleep(max(0.0, seconds))

    def wait_event(self, event: threading.Event, seconds: float) -> None:
        """Block for `seconds`, or until `event` is set."""
        event.wait(max(0.0, seconds))

    async def await_event(self, event: asyncio.Event, seconds: float) -> None:
        """Yield for `seconds`, or until `event` is set."""
        import asyncio

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


class LoopClock(SystemClock):
    """The running event loop's own time: under a virtual-time loop, waits take no real time.

    For asyncio code only (`monotonic()` needs a running loop); `nano_banana_pro.testing`'s
    `run_in_virtual_time` runs a coroutine on such a loop, the fake and the client sharing it.
    """

    def monotonic(self) -> float:
        """The running loop's `time()`."""
        import asyncio

        return asyncio.get_running_loop().time()

    def __repr__(self) -> str:
        return "LoopClock()"


class VirtualClock:
    """A clock that moves only when told to, or when someone sleeps on it.

    `sleep(s)` and `asleep(s)` return at once after moving the time forward by `s`, so code
    that waits runs in no real time. `slept` records every sleep, for assertions.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        #: Every sleep, in seconds, in order.
        self.slept: list[float] = []

    def monotonic(self) -> float:
        """The virtual time, in seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the time forward by `seconds`.

        Raises:
            ValueError: `seconds` is negative.
        """
        if seconds < 0:
            raise ValueError("a clock cannot go back: pass seconds >= 0")
        self._now += seconds

    def sleep(self, seconds: float) -> None:
        """Record the sleep and move the time forward, without waiting."""
        seconds = max(0.0, seconds)
        self.slept.append(seconds)
        self._now += seconds

    async def asleep(self, seconds: float) -> None:
        """Like `sleep`, then yield to the event loop once so other tasks can run."""
        import asyncio  # here, so that sync-only programs never import asyncio

        self.sleep(seconds)
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now:.3f})"
