"""The retry loop: run an operation, and try it again as the `RetryPolicy` says."""

from __future__ import annotations

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
    """Run `operation`, retrying per `policy`; never sleeping past `deadline` (clock time).

    Raises:
        NanoBananaProError: the last error, once no retry is left or allowed.
    """
    attempt = 0
    while True:
        try:
            return await operation()
        except NanoBananaProError as error:
            time_left = None if deadline is None else deadline - clock.monotonic()
            wait = policy.next_delay(
                error, attempt=attempt, idempotent=idempotent, time_left=time_left
            )
            if wait is None:
                raise
            log_retry(error, attempt=attempt, wait=wait)
            await clock.asleep(wait)
            attempt += 1
