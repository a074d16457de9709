"""An asyncio event loop on virtual time: when every task waits, the clock jumps to the next timer.

Thousands of waits over minutes of service time run in a moment, in the order and at the
instants real time would give them (for code whose I/O is in-process: `FakeMagnific`'s
transport). Give the client and the fake a `LoopClock`, which reads this loop's time.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["VirtualTimeLoop", "run_in_virtual_time"]

_Result = TypeVar("_Result")


class _JumpingSelector(selectors.DefaultSelector):
    """Returns ready I/O at once; with none, moves the loop's time to its next timer."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout is None or timeout <= 0:
            return ready if ready or timeout is not None else super().select(None)
        self._loop.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose `time()` moves only when every task is waiting for a timer."""

    def __init__(self) -> None:
        #: The virtual time, in seconds from the loop's start.
        self.now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        """The virtual time, in seconds from the loop's start."""
        return self.now


def run_in_virtual_time(coroutine: Coroutine[Any, Any, _Result]) -> _Result:
    """Run `coroutine` to its end on a new `VirtualTimeLoop`, then close the loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
