"""An asyncio event loop on virtual time: when every task waits, the clock jumps to the next timer.

Thousands of waits over minutes of service time run in a moment, in the order and at the
instants real time would give them (for code whose I/O is in-process: `FakeMagnific`'s
transport). Give the client and the fake a `LoopClock`, which reads this loop's time.
"""

from __future__ import annotations

import asyncio
import contextvars
import selectors
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, TypeVarTuple, Unpack

__all__ = ["VirtualTimeLoop", "run_in_virtual_time"]

_Result = TypeVar("_Result")
_Args = TypeVarTuple("_Args")
#: The clock resolution asyncio gives its loops: a timer due within it runs at once.
_RESOLUTION = time.get_clock_info("monotonic").resolution


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

    def call_at(
        self,
        when: float,
        callback: Callable[[Unpack[_Args]], object],
        *args: *_Args,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        """Schedule `callback` at `when`, no sooner than the loop can tell from now.

        asyncio runs a timer due within its clock's resolution at once; on a real clock time
        moves meanwhile, here it would not, and a wait of 1e-14 s would end with no time
        passed: code that waits until a time (a rate limit, a deadline) would ask for ever.
        """
        if self.now < when < self.now + _RESOLUTION:
            when = self.now + _RESOLUTION
        return super().call_at(when, callback, *args, context=context)


def run_in_virtual_time(coroutine: Coroutine[Any, Any, _Result]) -> _Result:
    """Run `coroutine` to its end on a new `VirtualTimeLoop`, then close the loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
