"""The service's documented rate limits, enforced by the fake: 429 with `Retry-After` past them.

Per IP upstream: "50 hits per second over a 5-second period" (250 in any 5 s) and "10 hits per
second averaged over a 2-minute period" (1,200 in any 120 s). The fake counts the API requests
it admits per API key (image downloads do not count), in sliding windows on its clock.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from .._ratelimit import SERVICE_WINDOWS, RateWindow

__all__ = ["DOCUMENTED_LIMITS", "RateLimiter", "RateWindow", "documented_limits", "peak_in_window"]

#: The service's documented rate limits per IP, which the fake enforces.
DOCUMENTED_LIMITS = SERVICE_WINDOWS


def documented_limits(*, time_scale: float = 1.0) -> tuple[RateWindow, ...]:
    """The documented windows, their lengths multiplied by `time_scale` (0.01: 100x faster).

    Raises:
        InvalidRequestError: `time_scale` is not a positive, finite number (a `ValueError`).
    """
    return tuple(window.scaled(time_scale) for window in DOCUMENTED_LIMITS)


def peak_in_window(times: Sequence[float], seconds: float) -> int:
    """The most of `times` within any `seconds` (a window as the fake's: half-open).

    To check a client's pace at the fake: `peak_in_window([r.at for r in fake.requests], 5.0)`.
    """
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, at + seconds) - i for i, at in enumerate(ordered)), default=0
    )


class RateLimiter:
    """Admits a request, or says how long until every window would admit it."""

    def __init__(self, windows: Sequence[RateWindow]) -> None:
        self._windows = tuple(windows)
        self._longest = max((window.seconds for window in self._windows), default=0.0)
        self._admitted: dict[str, list[float]] = {}

    def admit(self, key: str, now: float) -> float | None:
        """None when admitted (and counted); else the seconds to wait before trying again."""
        if not self._windows:
            return None
        times = self._admitted.setdefault(key, [])
        del times[: bisect.bisect_right(times, now - self._longest)]
        waits = []
        for window in self._windows:
            first = bisect.bisect_right(times, now - window.seconds)
            if len(times) - first >= window.requests:  # full: wait until its oldest leaves
                waits.append(times[len(times) - window.requests] + window.seconds - now)
        if waits:
            return math.ceil(max(waits) * 1000) / 1000 or 0.001
        times.append(now)
        return None
