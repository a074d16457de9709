"""The retry loop: run an operation, and try it again as the `RetryPolicy` says."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .._retry import RetryPolicy, log_retry
from ..clock import Clock
from ..errors import NanoBananaProError

__all__ = ["call_with_retries"]

T = TypeVar("T")


async def call_with_retries(
    operation: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    clock: Clock,
    idempotent: bool,
    deadline: float | None = None,
) -> T:
    """Run `operation`, retrying per `policy`, never past `deadline` (clock time).

    With a deadline, an error still worth retrying when the next attempt would come too late is
    raised at the deadline, not before: a wait ends at its deadline.

    Raises:
        NanoBananaProError: the last error, once no retry is left, allowed or in time.
    """
    attempt = 0
    while True:
        try:
            return await operation()
        except NanoBananaProError as error:
            wait = policy.next_delay(error, attempt=attempt, idempotent=idempotent)
            if wait is None:
                raise
            time_left = math.inf if deadline is None else deadline - clock.monotonic()
            if wait >= time_left:
                await clock.asleep(time_left)
                raise
            log_retry(error, attempt=attempt, wait=wait)
            await clock.asleep(wait)
            attempt += 1
