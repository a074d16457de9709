"""`Governor`: when each request of a client may be sent, so that every window of its budget holds.

It keeps a log of send times, in the order they were handed out. A request's send time is the
earliest that keeps each window (N requests in any W seconds): not before now, nor before the
last one handed out (first come, first sent), nor before `log[-N] + W` for each window; and not
before the end of a 429's cooldown. Each reservation is O(1) per window.

Our own rather than pyrate-limiter's: the runtime dependencies are httpx and attrs only, and
pyrate-limiter would not remove the hard parts. Its limiter answers "now or not" and a blocked
caller retries after a delay, so concurrent callers race instead of queueing in order and wake
to retry; it has no shared cooldown for `Retry-After`; and its buckets keep their own time,
where ours must run on the client's injectable clock (tests move a virtual one). A sliding log
with reservations is some 60 lines here, and its shared form (`_budget_file.py`) one SQLite
transaction on the standard library's `sqlite3`.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import deque
from collections.abc import Iterator
from typing import Protocol

from ._ratelimit import RateLimit, RateWindow
from .clock import Clock
from .errors import InvalidRequestError

__all__ = ["Governor"]

#: A send exactly W seconds after the N-th last one would share its window's edge, where the
#: rounding of a clock's sums could count both: keep this much clear of it.
_EDGE = 1e-6


class SendLog(Protocol):
    """The send times handed out (in order) and the cooldown: in memory or in a shared file."""

    def nth_last(self, n: int) -> float | None:
        """The `n`-th last send time (1: the last), or None when fewer were logged."""
        ...

    def append(self, at: float) -> None:
        """Log a send time, no earlier than the last one."""
        ...

    def cooldown_until(self) -> float:
        """No request may be sent before this time."""
        ...

    def extend_cooldown(self, until: float) -> None:
        """No request before `until` either (a cooldown never gets shorter)."""
        ...


class _Store(Protocol):
    """Where a governor keeps its log: each use of it is one transaction."""

    def transaction(self) -> contextlib.AbstractContextManager[SendLog]:
        """The log, for this process alone until the block ends."""
        ...

    def close(self) -> None:
        """Release what the store holds."""
        ...


class _MemoryLog:
    """The log of one client, in memory: the last `keep` send times."""

    def __init__(self, *, keep: int) -> None:
        self._times: deque[float] = deque(maxlen=keep)
        self._cooldown_until = -math.inf
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SendLog]:
        with self._lock:
            yield self

    def nth_last(self, n: int) -> float | None:
        return self._times[-n] if len(self._times) >= n else None

    def append(self, at: float) -> None:
        self._times.append(at)

    def cooldown_until(self) -> float:
        return self._cooldown_until

    def extend_cooldown(self, until: float) -> None:
        self._cooldown_until = max(self._cooldown_until, until)

    def close(self) -> None:
        """Nothing to release."""


class Governor:
    """Hands out send times for every call of a client (and of the processes sharing its file).

    Thread-safe: the sync client's threads and the async client's tasks share one.

    Raises:
        InvalidRequestError: `limit` is neither a `RateLimit` nor None.
        BudgetFileError: the shared file cannot be used (it is opened and checked here).
    """

    def __init__(self, limit: RateLimit | None, *, clock: Clock) -> None:
        if limit is not None and not isinstance(limit, RateLimit):
            raise InvalidRequestError(
                "rate_limit", f"pass a RateLimit (or None: no limit), got {limit!r}"
            )
        self._clock = clock
        self._windows: tuple[RateWindow, ...] = () if limit is None else limit.windows
        keep = max((window.requests for window in self._windows), default=1)
        if limit is not None and limit.shared is not None:
            from ._budget_file import BudgetFile  # sqlite3 only for those who share a budget

            self._log: _Store = BudgetFile(limit.shared, keep=keep)
            with self._log.transaction():  # refuse an unusable file now, not at the first call
                pass
        else:
            self._log = _MemoryLog(keep=keep)

    def reserve(self) -> float:
        """Reserve the next send time; the seconds to wait before sending (0: send now).

        Raises:
            BudgetFileError: the shared file cannot be used.
        """
        with self._log.transaction() as log:
            return self._reserve(log)

    def recheck(self) -> float:
        """After waiting what `reserve()` said: 0, or more seconds if a cooldown began meanwhile.

        A request that waited for its turn is not sent during a cooldown that started while it
        waited: it takes a new turn after the cooldown, at the back of the queue.

        Raises:
            BudgetFileError: the shared file cannot be used.
        """
        with self._log.transaction() as log:
            if log.cooldown_until() <= self._clock.monotonic():
                return 0.0
            return self._reserve(log)

    def cool_down(self, seconds: float) -> None:
        """No request is sent in the next `seconds` (by any process sharing the budget).

        Raises:
            BudgetFileError: the shared file cannot be used.
        """
        with self._log.transaction() as log:
            log.extend_cooldown(self._clock.monotonic() + seconds)

    def close(self) -> None:
        """Release the shared file (reopened if the governor is used again)."""
        self._log.close()

    def _reserve(self, log: SendLog) -> float:
        now = self._clock.monotonic()
        at = max(now, log.cooldown_until())
        if not self._windows:
            return at - now
        last = log.nth_last(1)
        if last is not None:
            at = max(at, last)
        for window in self._windows:
            oldest = log.nth_last(window.requests)
            if oldest is not None:
                at = max(at, oldest + window.seconds + _EDGE)
        log.append(at)
        return at - now
