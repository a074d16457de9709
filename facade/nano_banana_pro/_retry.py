"""When to try a request again, and how long to wait first.

The loop is hand-written rather than taken from a retry library (tenacity, stamina) because the
runtime dependencies are httpx and attrs only, and because the decision needs this package's
errors: a create (billed) is retried only when the service certainly did not act on it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs

from .clock import Clock
from .errors import APIConnectionError, APIError, NanoBananaProError

__all__ = ["RetryPolicy", "call_with_retries", "call_with_retries_async"]

T = TypeVar("T")
logger = logging.getLogger("nano_banana_pro")

#: Statuses after which a GET (safe to repeat) is tried again.
_RETRYABLE_GET_STATUSES = frozenset({408, 429})
#: Statuses after which a create is tried again: the service says it did not act on it.
_RETRYABLE_CREATE_STATUSES = frozenset({429, 503})


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Exponential backoff with jitter; `Retry-After` honoured up to `retry_after_cap`.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retries).
        initial_backoff: Seconds before the first retry, before jitter.
        max_backoff: Cap of the exponential backoff, in seconds.
        retry_after_cap: Cap on a server's `Retry-After`, in seconds: an absurd value is cut
            down to this.
    """

    max_retries: int = 2
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    retry_after_cap: float = 60.0
    random: Callable[[], float] = attrs.field(default=random.random, repr=False)

    def should_retry(self, error: NanoBananaProError, *, idempotent: bool) -> bool:
        """True when `error` is worth another attempt for this kind of request."""
        if isinstance(error, APIConnectionError):
            return idempotent or not error.request_sent
        if isinstance(error, APIError):
            if idempotent:
                return error.status_code in _RETRYABLE_GET_STATUSES or error.status_code >= 500
            return error.status_code in _RETRYABLE_CREATE_STATUSES
        return False

    def delay(self, error: NanoBananaProError, *, attempt: int) -> float:
        """Seconds to wait before retry number `attempt + 1`."""
        retry_after = error.retry_after if isinstance(error, APIError) else None
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        backoff: float = min(self.max_backoff, self.initial_backoff * 2**attempt)
        jitter: float = self.random()
        return backoff * (0.5 + jitter / 2)

    def next_delay(
        self, error: NanoBananaProError, *, attempt: int, idempotent: bool, time_left: float | None
    ) -> float | None:
        """The wait before the next attempt, or None when the error should be raised now."""
        if attempt >= self.max_retries or not self.should_retry(error, idempotent=idempotent):
            return None
        wait = self.delay(error, attempt=attempt)
        if time_left is not None and wait >= time_left:
            return None
        return wait


def _log_retry(error: NanoBananaProError, *, attempt: int, wait: float) -> None:
    logger.info("retry %d after %.2fs: %s", attempt + 1, wait, error)


def call_with_retries(
    operation: Callable[[], T],
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
            return operation()
        except NanoBananaProError as error:
            time_left = None if deadline is None else deadline - clock.monotonic()
            wait = policy.next_delay(
                error, attempt=attempt, idempotent=idempotent, time_left=time_left
            )
            if wait is None:
                raise
            _log_retry(error, attempt=attempt, wait=wait)
            clock.sleep(wait)
            attempt += 1


async def call_with_retries_async(
    operation: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    clock: Clock,
    idempotent: bool,
    deadline: float | None = None,
) -> T:
    """The async twin of `call_with_retries`.

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
            _log_retry(error, attempt=attempt, wait=wait)
            await clock.asleep(wait)
            attempt += 1
