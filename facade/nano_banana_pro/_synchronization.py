"""What the blocking and the asyncio halves do differently, written by hand for both.

Everything else in `_async/` is rewritten into `_sync/` by `scripts/unasync.py` (`make generate`);
these pairs are what such a rewrite cannot express: a thread pool against a set of tasks.
The rewrite maps each async name here to its blocking twin (`amap_bounded` -> `map_bounded`).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["amap_bounded", "arunning_loop", "map_bounded", "running_loop"]

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
