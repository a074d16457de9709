"""When to try a request again, and how long to wait first (the loop: `_async/retry.py`).

The loop is hand-written rather than taken from a retry library (tenacity, stamina) because the
runtime dependencies are httpx and attrs only, and because the decision needs this package's
errors: a create (billed) is retried only when the service certainly did not act on it.
"""

from __future__ import annotations

import contextlib
import logging
import random
import sys
from collections.abc import Callable, Iterator

import attrs

from ._config import (
    DEFAULT_INITIAL_BACKOFF,
    DEFAULT_MAX_BACKOFF,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_AFTER_CAP,
)
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    NanoBananaProError,
    say_task_may_exist,
)

__all__ = ["RetryPolicy", "about_create", "certainly_not_acted_on", "log_retry"]

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

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_backoff: float = DEFAULT_INITIAL_BACKOFF
    max_backoff: float = DEFAULT_MAX_BACKOFF
    retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP
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

    def unbounded(self) -> RetryPolicy:
        """This policy with no limit on retries: for waits, bounded by their deadline instead."""
        return attrs.evolve(self, max_retries=sys.maxsize)

    def next_delay(
        self, error: NanoBananaProError, *, attempt: int, idempotent: bool
    ) -> float | None:
        """The wait before the next attempt, or None when the error should be raised now."""
        if attempt >= self.max_retries or not self.should_retry(error, idempotent=idempotent):
            return None
        return self.delay(error, attempt=attempt)


def certainly_not_acted_on(error: NanoBananaProError) -> bool:
    """True when a failed create certainly made no task: refused (4xx, 503), or never sent.

    False when the request may have been acted on: the connection broke or timed out after
    sending, a 5xx other than 503, or a 2xx whose body could not be read.
    """
    if isinstance(error, APIConnectionError):
        return not error.request_sent
    if isinstance(error, APIResponseValidationError):
        return False
    if isinstance(error, APIError):
        return 400 <= error.status_code < 500 or error.status_code == 503
    return True  # raised before anything was sent (an invalid parameter)


@contextlib.contextmanager
def about_create() -> Iterator[None]:
    """A create's error says so when its task may exist (see `certainly_not_acted_on`)."""
    try:
        yield
    except NanoBananaProError as error:
        if not certainly_not_acted_on(error):
            say_task_may_exist(error)
        raise


def log_retry(error: NanoBananaProError, *, attempt: int, wait: float) -> None:
    """Log a retry about to happen (the error's message never holds the key)."""
    logger.info("retry %d after %.2fs: %s", attempt + 1, wait, error)
