"""`Governor`: when each request of a client may be sent, so that every window of its budget holds.

Two logs, both in order: the turns handed out, and the times requests were actually sent. A
request's turn is the earliest time that keeps each window (N requests in any W seconds): not
before now, nor before the last turn handed out (first come, first sent), nor before
`log[-N] + W` in either log, nor before the end of a 429's cooldown. O(1) per window. When its
turn comes, the request is sent if the requests actually sent still leave room (a caller woken
late, or a burst that took a while to go out, can leave less than the turns planned); else it
waits that little more. So the times requests go out keep every window, not only their turns.

Our own rather than pyrate-limiter's: the runtime dependencies are httpx and attrs only, and
pyrate-limiter would not remove the hard parts. Its limiter answers "now or not" and a blocked
caller retries after a delay, so concurrent callers race instead of queueing in order and wake
to retry; it has no shared cooldown for `Retry-After`; and its buckets keep their own time,
where ours must run on the client's injectable clock (tests move a virtual one). The logs are
two deques here, and their shared form (`_budget_file.py`) one SQLite transaction per step on
the standard library's `sqlite3`.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import deque
from collections.abc import Iterator
from typing import Literal, Protocol

from ._ratelimit import RateLimit, RateWindow
from .clock import Clock
from .errors import InvalidRequestError

__all__ = ["Governor", "LogName"]

#: The turns handed out, or the times requests were sent.
LogName = Literal["turns", "sent"]
#: A send exactly W seconds after the N-th last one would share its window's edge, where the
#: rounding of a clock's sums could count both: keep this much clear of it.
_EDGE = 1e-6


class SendLog(Protocol):
    """The turns and send times (each in order) and the cooldown: in memory or in a file."""

    def nth_last(self, log: LogName, n: int) -> float | None:
        """The `n`-th last time of `log` (1: the last), or None when it holds fewer."""
        ...

    def append(self, log: LogName, at: float) -> None:
        """Add a time to `log`, no earlier than its last one."""
        ...

    def cooldown_until(self) -> float:
        """No request may be sent before this time."""
        ...

    def extend_cooldown(self, until: float) -> None:
        """No request before `until` either (a cooldown never gets shorter)."""
        ...


class _Store(Protocol):
    """Where a governor keeps its logs: each use of them is one transaction."""

    def transaction(self) -> contextlib.AbstractContextManager[SendLog]:
        """The logs, for this governor alone until the block ends."""
        ...

    def close(self) -> None:
        """Release what the store holds."""
        ...


class _MemoryLog:
    """The logs of one client, in memory: the last `keep` times of each."""

    def __init__(self, *, keep: int) -> None:
        self._logs: dict[LogName, deque[float]] = {
            "turns": deque(maxlen=keep),
            "sent": deque(maxlen=keep),
        }
        self._cooldown_until = -math.inf
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SendLog]:
        with self._lock:
            yield self

    def nth_last(self, log: LogName, n: int) -> float | None:
        times = self._logs[log]
        return times[-n] if len(times) >= n else None

    def append(self, log: LogName, at: float) -> None:
        self._logs[log].append(at)

    def cooldown_until(self) -> float:
        return self._cooldown_until

    def extend_cooldown(self, until: float) -> None:
        self._cooldown_until = max(self._cooldown_until, until)

    def close(self) -> None:
        """Nothing to release."""


class Governor:
    """Says when each request of a client may go (and of the processes sharing its file).

    Thread-safe: the sync client's threads and the async client's tasks share one. A request
    calls `reserve()`, then, for as long as it is told to wait, waits and calls `confirm()`.

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

            self._store: _Store = BudgetFile(limit.shared, keep=keep, clock=clock)
            with self._store.transaction():  # refuse an unusable file now, not at the first call
                pass
        else:
            self._store = _MemoryLog(keep=keep)

    def reserve(self) -> float:
        """Take the next turn; the seconds to wait (0: it is sent now, and counted as sent).

        Raises:
            BudgetFileError: the shared file cannot be used.
        """
        with self._store.transaction() as log:
            now = self._clock.monotonic()
            turn = self._turn(log, now)
            if turn <= now:
                self._send(log, now)
            return max(0.0, turn - now)

    def confirm(self) -> float:
        """When the wait `reserve()` or `confirm()` said is over: 0 (sent now), or wait more.

        More when the requests actually sent leave no room yet, and when a cooldown began while
        it waited: then it takes a new turn after the cooldown, at the back of the queue.

        Raises:
            BudgetFileError: the shared file cannot be used.
        """
        with self._store.transaction() as log:
            now = self._clock.monotonic()
            if log.cooldown_until() > now:
                return self._turn(log, now) - now
            room = self._room(log, "sent", now)
            if room > now:
                return room - now
            self._send(log, now)
            return 0.0

    def cool_down(self, seconds: float) -> None:
        """No request is sent in the next `seconds` (by any process sharing the budget).

        Raises:
            BudgetFileError: the shared file cannot be used.
        """
        with self._store.transaction() as log:
            log.extend_cooldown(self._clock.monotonic() + seconds)

    def close(self) -> None:
        """Release the shared file (opened again if the governor is used again)."""
        self._store.close()

    def _turn(self, log: SendLog, now: float) -> float:
        """Hand out the next turn: the earliest time after the others that keeps every window."""
        turn = max(now, log.cooldown_until())
        if not self._windows:
            return turn
        last = log.nth_last("turns", 1)
        turn = max(turn, self._room(log, "turns", now), self._room(log, "sent", now))
        if last is not None:
            turn = max(turn, last)
        log.append("turns", turn)
        return turn

    def _room(self, log: SendLog, name: LogName, now: float) -> float:
        """The earliest time at which one more entry in `log` keeps every window."""
        room = now
        for window in self._windows:
            oldest = log.nth_last(name, window.requests)
            if oldest is not None:
                room = max(room, oldest + window.seconds + _EDGE)
        return room

    def _send(self, log: SendLog, now: float) -> None:
        if self._windows:
            log.append("sent", now)
