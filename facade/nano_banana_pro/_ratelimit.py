"""A client-side rate limit shared by every call of one client (threads and tasks alike).

Hand-written rather than taken from a library (pyrate-limiter, aiolimiter): the runtime
dependencies are httpx and attrs only, it must run on the client's injectable clock, and one
limiter must serve the sync and the async client.
"""

from __future__ import annotations

import threading

import attrs

from .clock import Clock

__all__ = ["RateLimit", "TokenBucket"]


@attrs.frozen(kw_only=True)
class RateLimit:
    """At most `requests_per_second` on average, with bursts of up to `burst` requests.

    The default (8/s, bursts of 20) stays inside the service's documented per-IP limits:
    50 requests/s over 5 s, and 10 requests/s averaged over 2 minutes.

    Attributes:
        requests_per_second: The sustained rate.
        burst: How many requests may go at once after a quiet spell.
    """

    requests_per_second: float = 8.0
    burst: int = 20

    def __attrs_post_init__(self) -> None:
        if self.requests_per_second <= 0 or self.burst < 1:
            raise ValueError(
                "RateLimit needs requests_per_second > 0 and burst >= 1, "
                f"got {self.requests_per_second} and {self.burst}"
            )


class TokenBucket:
    """Hands out send times: each call reserves the next free slot and says how long to wait."""

    def __init__(self, limit: RateLimit, *, clock: Clock) -> None:
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(limit.burst)
        self._updated = clock.monotonic()

    def reserve(self) -> float:
        """Take a token now or in the future; the seconds to wait before sending."""
        with self._lock:
            now = self._clock.monotonic()
            rate = self._limit.requests_per_second
            self._tokens = min(
                float(self._limit.burst), self._tokens + (now - self._updated) * rate
            )
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / rate
