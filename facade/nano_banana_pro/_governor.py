"""`Governor`: when each request of a client may be sent, so that every window of its budget holds.

The service counts a request at some instant between the moment the client sends it and the
moment its answer comes back, so a request takes a place in a window (N requests in any W
seconds) from when it is sent until W after its answer. A request goes when, in each window,
fewer than N are in flight or were answered in the last W seconds: then the windows hold where
the service counts, however long requests queue on the way or at the service.

Requests queue for that in order. Each gets a turn: not before now, the last turn handed out
(first come, first sent), the end of a 429's cooldown, the time the requests already answered
leave room, nor `turns[-N] + W + latency` for each window (O(1)), where `latency` is the longest
time an answer took among this governor's recent requests. When its turn comes, the request
goes if there is room; if not (answers slower than planned), it waits for the room.

Our own rather than pyrate-limiter's: the runtime dependencies are httpx and attrs only, and
pyrate-limiter would not remove the hard parts. Its limiter counts a request at one instant and
answers "now or not"; a blocked caller retries after a delay, so concurrent callers race
instead of queueing in order; it has no shared cooldown for `Retry-After`; and its buckets keep
their own time, where ours must run on the client's injectable clock (tests move a virtual one).
The state is a few counters and deques here, and one SQLite transaction per step in its shared
form (`_budget_file.py`, the standard library's `sqlite3`).
"""

from __future__ import annotations

import bisect
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

#: A request exactly W seconds after another shares the window's edge with it, where a clock's
#: rounding could count both: keep this much clear of it.
_EDGE = 1e-6
#: How many of its latest answers a governor's latency estimate looks at.
_LATENCY_SAMPLES = 32


class BudgetLog(Protocol):
    """The turns, the requests in flight, the answers and the cooldown: in memory or a file."""

    def nth_last_turn(self, n: int) -> float | None:
        """The `n`-th last turn handed out (1: the last), or None when there were fewer."""
        ...

    def add_turn(self, at: float) -> None:
        """Hand out a turn, no earlier than the last one."""
        ...

    def occupying(self, since: float) -> int:
        """How many requests are in flight, or were answered after `since`."""
        ...

    def nth_answer_after(self, since: float, n: int) -> float | None:
        """The `n`-th earliest answer after `since`, or None when fewer came (yet)."""
        ...

    def send(self, now: float) -> None:
        """One more request in flight, from `now`."""
        ...

    def answer(self, now: float) -> None:
        """The answer to one of this governor's requests in flight came at `now`."""
        ...

    def cooldown_until(self) -> float:
        """No request may be sent before this time."""
        ...

    def extend_cooldown(self, until: float) -> None:
        """No request before `until` either (a cooldown never gets shorter)."""
        ...


class _Store(Protocol):
    """Where a governor keeps its log: each use of it is one transaction."""

    def transaction(self) -> contextlib.AbstractContextManager[BudgetLog]:
        """The log, for this governor alone until the block ends."""
        ...

    def close(self) -> None:
        """Release what the store holds."""
        ...


class _MemoryLog:
    """The log of one client, in memory.

    The last `keep` turns, and the answers of the last `longest` seconds (in a list, which
    `bisect` searches fastest).
    """

    def __init__(self, *, keep: int, longest: float) -> None:
        self._turns: deque[float] = deque(maxlen=keep)
        self._answers: list[float] = []
        self._longest = longest
        self._in_flight = 0
        self._cooldown_until = -math.inf
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[BudgetLog]:
        with self._lock:
            yield self

    def nth_last_turn(self, n: int) -> float | None:
        return self._turns[-n] if len(self._turns) >= n else None

    def add_turn(self, at: float) -> None:
        self._turns.append(at)

    def occupying(self, since: float) -> int:
        return self._in_flight + len(self._answers) - bisect.bisect_right(self._answers, since)

    def nth_answer_after(self, since: float, n: int) -> float | None:
        index = bisect.bisect_right(self._answers, since) + n - 1
        return self._answers[index] if index < len(self._answers) else None

    def send(self, now: float) -> None:
        self._in_flight += 1

    def answer(self, now: float) -> None:
        self._in_flight -= 1
        self._answers.append(now)
        gone = bisect.bisect_right(self._answers, now - self._longest - 1.0)
        if gone > len(self._answers) // 2:  # forget in bulk: amortised O(1)
            del self._answers[:gone]

    def cooldown_until(self) -> float:
        return self._cooldown_until

    def extend_cooldown(self, until: float) -> None:
        self._cooldown_until = max(self._cooldown_until, until)

    def close(self) -> None:
        """Nothing to release."""


class Governor:
    """Says when each request of a client may go (and of the processes sharing its file).

    Thread-safe: the sync client's threads and the async client's tasks share one. A request
    calls `reserve()`; while told to wait, it waits and calls `confirm()`; once sent, it calls
    `answered(sent_at)` when its answer (or failure) comes back, whatever happened.

    Args:
        limit: The budget; None keeps no window (only the cooldown).
        clock: The client's clock.
        request_seconds: The longest a request may take: a request in flight longer (its
            process died) counts as answered then.

    Raises:
        InvalidRequestError: `limit` is neither a `RateLimit` nor None.
        BudgetFileError: the shared file cannot be used (it is opened and checked here).
    """

    def __init__(
        self, limit: RateLimit | None, *, clock: Clock, request_seconds: float = math.inf
    ) -> None:
        if limit is not None and not isinstance(limit, RateLimit):
            raise InvalidRequestError(
                "rate_limit", f"pass a RateLimit (or None: no limit), got {limit!r}"
            )
        self._clock = clock
        self._windows: tuple[RateWindow, ...] = () if limit is None else limit.windows
        self._latencies: deque[float] = deque(maxlen=_LATENCY_SAMPLES)
        keep = max((window.requests for window in self._windows), default=1)
        longest = max((window.seconds for window in self._windows), default=0.0)
        if limit is not None and limit.shared is not None:
            from ._budget_file import BudgetFile  # sqlite3 only for those who share a budget

            self._store: _Store = BudgetFile(
                limit.shared,
                keep=keep,
                longest=longest,
                clock=clock,
                request_seconds=request_seconds,
            )
            with self._store.transaction():  # refuse an unusable file now, not at the first call
                pass
        else:
            self._store = _MemoryLog(keep=keep, longest=longest)

    def reserve(self) -> float:
        """Take the next turn; the seconds to wait (0: the request is sent now).

        Raises:
            BudgetFileError: the shared file cannot be used.
        """
        with self._store.transaction() as log:
            now = self._clock.monotonic()
            return self._go_or_wait(log, now, self._turn(log, now))

    def confirm(self) -> float:
        """When the wait said is over: 0 (the request is sent now), or seconds more to wait.

        More when the answers so far leave no room yet (they came slower than planned), or when
        a cooldown began while it waited: then it takes a new turn, at the back of the queue.

        Raises:
            BudgetFileError: the shared file cannot be used.
        """
        with self._store.transaction() as log:
            now = self._clock.monotonic()
            if log.cooldown_until() > now:
                return max(self._turn(log, now) - now, _EDGE)
            return self._go_or_wait(log, now, self._room(log, now))

    def answered(self, sent_at: float) -> None:
        """The answer to a request sent at `sent_at` came back (or it failed) just now.

        Raises:
            BudgetFileError: the shared file cannot be used.
        """
        if not self._windows:
            return
        with self._store.transaction() as log:
            now = self._clock.monotonic()
            log.answer(now)
            self._latencies.append(now - sent_at)

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

    def _go_or_wait(self, log: BudgetLog, now: float, turn: float) -> float:
        if turn > now:  # at least _EDGE: a wait below the clock's resolution would never end
            return max(turn - now, _EDGE)
        if self._windows:
            log.send(now)
        return 0.0

    def _turn(self, log: BudgetLog, now: float) -> float:
        """Hand out the next turn (see the module's docstring)."""
        turn = max(now, log.cooldown_until())
        if not self._windows:
            return turn
        latency = max(self._latencies, default=0.0)
        last = log.nth_last_turn(1)
        turn = max(turn, self._room(log, now), -math.inf if last is None else last)
        for window in self._windows:
            planned = log.nth_last_turn(window.requests)
            if planned is not None:
                turn = max(turn, planned + window.seconds + latency + _EDGE)
        log.add_turn(turn)
        return turn

    def _room(self, log: BudgetLog, now: float) -> float:
        """The earliest time one more request fits every window, by the answers so far."""
        room = now
        for window in self._windows:
            since = now - window.seconds - _EDGE
            excess = log.occupying(since) - window.requests + 1
            if excess > 0:
                answer = log.nth_answer_after(since, excess)
                # None: requests in flight fill the window; guess when one will have answered.
                guess = now + window.seconds / window.requests
                room = max(room, guess if answer is None else answer + window.seconds + _EDGE)
        return room
