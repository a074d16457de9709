"""Waiting for a task: when to poll, what the client learned, and the bookkeeping of one wait.

Polling costs requests against the service's rate limits, and every second between completion
and the next poll is a second of lag. The schedule learns, per resolution, how long this
client's tasks took, then sleeps through the time when completion is unlikely and polls densely
where it is likely. Until it has learned, it polls soon and backs off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable

import attrs

from .clock import Clock
from .errors import NanoBananaProError, TaskFailedError, WaitTimeoutError
from .task import Task, TaskStatus

__all__ = ["CompletionHistory", "PollSchedule", "TaskOrigin", "TaskOrigins", "WaitState"]


@attrs.frozen(kw_only=True)
class PollSchedule:
    """When `wait()` polls.

    Attributes:
        initial_interval: Seconds before the first poll after creation (catches early failures).
        factor: Growth of the interval while nothing has been learned.
        max_interval: Hard cap on any pause between polls, in seconds.
        dense_interval: The interval inside the learned completion window.
        learn: Learn completion times from this client's tasks (False: plain backoff).
        min_samples: Completed tasks of one resolution needed before the window is used.
        window_quantiles: The part of the learned durations polled densely (low, high).
    """

    initial_interval: float = 1.0
    factor: float = 1.5
    max_interval: float = 10.0
    dense_interval: float = 1.8
    learn: bool = True
    min_samples: int = 3
    window_quantiles: tuple[float, float] = (0.03, 1.0)

    @classmethod
    def fixed(cls, interval: float) -> PollSchedule:
        """Poll every `interval` seconds, learning nothing."""
        return cls(initial_interval=interval, factor=1.0, max_interval=interval, learn=False)

    def next_interval(
        self, *, age: float, previous: float | None, window: tuple[float, float] | None
    ) -> float:
        """The pause before the next poll of a task `age` seconds old.

        `previous` is the last pause (None before the first poll); `window` the learned
        completion window of the task's kind, if any.
        """
        if previous is None:
            return min(self.initial_interval, self.max_interval)
        if window is None:
            return min(self.max_interval, previous * self.factor)
        start, end = window
        if age < start:
            return min(self.max_interval, max(start - age, self.dense_interval))
        if age <= end:
            return min(self.max_interval, self.dense_interval)
        return min(self.max_interval, max(self.dense_interval, previous * self.factor))


class CompletionHistory:
    """How long this client's tasks took to complete, per kind (resolution); thread-safe."""

    def __init__(self, *, keep: int = 64) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._durations: dict[str, deque[tuple[float, float]]] = {}

    def record(self, kind: str, *, after: float, before: float) -> None:
        """Remember that a task of `kind` completed between ages `after` and `before`."""
        with self._lock:
            self._durations.setdefault(kind, deque(maxlen=self._keep)).append((after, before))

    def window(self, kind: str, schedule: PollSchedule) -> tuple[float, float] | None:
        """The ages between which tasks of `kind` completed, or None while too few are known."""
        with self._lock:
            known = list(self._durations.get(kind, ()))
        if not schedule.learn or len(known) < schedule.min_samples:
            return None
        # Completions seen by dense polls are pinned down to a poll interval; once there are
        # enough of those, the coarse ones of the first, unlearned waits are left out.
        precise = [(a, b) for a, b in known if b - a <= 2 * schedule.dense_interval]
        if len(precise) >= schedule.min_samples:
            known = precise
        low, high = schedule.window_quantiles
        return (
            _quantile(sorted(after for after, _ in known), low),
            _quantile(sorted(before for _, before in known), high),
        )


def _quantile(ordered: list[float], q: float) -> float:
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@attrs.define(kw_only=True)
class TaskOrigin:
    """What the client knows of a task it created: its kind and creation time (clock time)."""

    kind: str
    created_at: float


class TaskOrigins:
    """The kind and creation time of tasks this client created, for the poll schedule."""

    def __init__(self, *, keep: int = 4096) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._origins: OrderedDict[str, TaskOrigin] = OrderedDict()

    def remember(self, task_id: str, origin: TaskOrigin) -> None:
        """Note a new task (the oldest are forgotten past `keep`)."""
        with self._lock:
            self._origins[task_id] = origin
            while len(self._origins) > self._keep:
                self._origins.popitem(last=False)

    def get(self, task_id: str) -> TaskOrigin | None:
        """The task's origin, when this client created it."""
        with self._lock:
            return self._origins.get(task_id)


class WaitState:
    """The bookkeeping of one wait: deadline, status changes, the next pause, learning."""

    def __init__(
        self,
        *,
        task_id: str,
        timeout: float,
        clock: Clock,
        schedule: PollSchedule,
        history: CompletionHistory,
        origin: TaskOrigin | None,
        on_update: Callable[[Task], object] | None,
    ) -> None:
        self.task_id = task_id
        self._clock = clock
        self._started = clock.monotonic()
        self.deadline = self._started + timeout
        self._schedule = schedule
        self._history = history
        self._origin = origin
        self._created_at = origin.created_at if origin else self._started
        self._on_update = on_update
        self._last_status: TaskStatus | None = None
        self._previous_pause: float | None = None
        self._last_unfinished_poll = self._created_at

    def observe(self, task: Task) -> bool:
        """Record a poll's answer; True when the task COMPLETED.

        Raises:
            TaskFailedError: the task FAILED.
        """
        now = self._clock.monotonic()
        if task.status != self._last_status:
            self._last_status = task.status
            if self._on_update is not None:
                self._on_update(task)
        if task.status == TaskStatus.FAILED:
            raise TaskFailedError(task)
        if not task.is_completed:
            self._last_unfinished_poll = now
            return False
        if self._origin is not None:  # it completed between the last two polls
            self._history.record(
                self._origin.kind,
                after=self._last_unfinished_poll - self._created_at,
                before=now - self._created_at,
            )
        return True

    def time_left(self) -> float:
        """Seconds until the deadline (0 or less once it passed)."""
        return self.deadline - self._clock.monotonic()

    def raise_if_expired(self, error: NanoBananaProError) -> None:
        """After a failed poll: raise WaitTimeoutError (from `error`) if the deadline passed.

        Raises:
            WaitTimeoutError: the deadline passed while polling.
        """
        if self.time_left() <= 0:
            raise WaitTimeoutError(
                task_id=self.task_id,
                elapsed=self._clock.monotonic() - self._started,
                last_status=self._last_status,
            ) from error

    def next_pause(self) -> float:
        """Seconds to wait before the next poll, never past the deadline.

        Raises:
            WaitTimeoutError: the deadline has passed.
        """
        now = self._clock.monotonic()
        remaining = self.deadline - now
        if remaining <= 0:
            raise WaitTimeoutError(
                task_id=self.task_id, elapsed=now - self._started, last_status=self._last_status
            )
        window = self._history.window(self._origin.kind, self._schedule) if self._origin else None
        pause = self._schedule.next_interval(
            age=now - self._created_at, previous=self._previous_pause, window=window
        )
        self._previous_pause = pause
        return min(pause, remaining)
