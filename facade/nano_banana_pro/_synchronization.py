"""What the blocking and the asyncio halves do differently, written by hand for both.

Everything else in `_async/` is rewritten into `_sync/` by `scripts/unasync.py` (`make generate`);
these pairs are what such a rewrite cannot express: a thread pool against a set of tasks.
The rewrite maps each async name here to its blocking twin (`amap_bounded` -> `map_bounded`).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

    from .clock import Clock

__all__ = [
    "AsyncLock",
    "AsyncSignal",
    "Lock",
    "Signal",
    "amap_bounded",
    "arunning_loop",
    "map_bounded",
    "running_loop",
]

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


async def amap_bounded(
    function: Callable[[_Item], Awaitable[_Result]], items: Iterable[_Item], *, concurrency: int
) -> list[_Result]:
    """`function` over `items`, at most `concurrency` at once; results in input order.

    An exception stops the lot at once: it propagates, and the other items are cancelled.
    """
    import asyncio  # here, so that blocking-only programs never import asyncio

    slots = asyncio.Semaphore(concurrency)

    async def run(item: _Item) -> _Result:
        async with slots:
            return await function(item)

    runs = [asyncio.ensure_future(run(item)) for item in items]
    try:
        return list(await asyncio.gather(*runs))
    finally:
        for unfinished in runs:
            unfinished.cancel()


def map_bounded(
    function: Callable[[_Item], _Result], items: Iterable[_Item], *, concurrency: int
) -> list[_Result]:
    """`function` over `items` on `concurrency` threads; results in input order.

    An exception stops the lot: items not started never start, those running finish, then it
    propagates.
    """
    stopped = threading.Event()

    def run(item: _Item) -> _Result:
        if stopped.is_set():  # a worker may pick an item up before the pool is shut down
            raise _StoppedError
        try:
            return function(item)
        except BaseException:
            stopped.set()
            raise

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="nano-banana-pro")
    try:
        return list(pool.map(run, items))
    finally:
        pool.shutdown(cancel_futures=True)


class _StoppedError(Exception):
    """An item not started because another one stopped the lot (never seen by callers)."""


def arunning_loop() -> object:
    """The event loop running now (what async connections belong to)."""
    import asyncio

    return asyncio.get_running_loop()


def running_loop() -> object:
    """None: blocking connections belong to no event loop."""
    return None


class AsyncLock:
    """An `asyncio.Lock` for the event loop running now (a client may outlive a loop)."""

    def __init__(self) -> None:
        self._loop: object = None
        self._lock: asyncio.Lock | None = None

    async def __aenter__(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        if self._lock is None or loop is not self._loop:
            self._loop, self._lock = loop, asyncio.Lock()
        await self._lock.acquire()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._lock is not None  # acquired in __aenter__
        self._lock.release()


class Lock:
    """A `threading.Lock`, entered with `with`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.release()


class AsyncSignal:
    """Wakes one waiting coroutine early; `notify()` works from any thread.

    Made inside the coroutine that waits on it (it belongs to that event loop).
    """

    def __init__(self) -> None:
        import asyncio

        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake the waiter now, or make its next wait return at once."""
        import asyncio

        try:
            here = asyncio.get_running_loop()
        except RuntimeError:  # another thread, with no loop of its own
            here = None
        if here is self._loop:
            self._event.set()
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self, seconds: float, *, clock: Clock) -> None:
        """Wait `seconds` on `clock`, or less when notified (when the clock can be woken)."""
        if not self._event.is_set():
            wake: Any = getattr(clock, "await_event", None)
            if wake is None:  # a clock that only sleeps: notified at the end of the sleep
                await clock.asleep(seconds)
            else:
                await wake(self._event, seconds)
        self._event.clear()


class Signal:
    """Wakes one waiting thread early; `notify()` works from any thread."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def notify(self) -> None:
        """Wake the waiter now, or make its next wait return at once."""
        self._event.set()

    def wait(self, seconds: float, *, clock: Clock) -> None:
        """Wait `seconds` on `clock`, or less when notified (when the clock can be woken)."""
        if not self._event.is_set():
            wake: Any = getattr(clock, "wait_event", None)
            if wake is None:  # a clock that only sleeps: notified at the end of the sleep
                clock.sleep(seconds)
            else:
                wake(self._event, seconds)
        self._event.clear()
