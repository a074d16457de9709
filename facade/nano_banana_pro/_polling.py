"""Waiting for a task: when to poll, what the client learned, and the bookkeeping of one wait.

Polling costs requests against the service's rate limits, and every second between completion
and the next poll is a second of lag. The schedule learns, per resolution, how long this
client's tasks took, then sleeps through the time when completion is unlikely and polls densely
where it is likely. Until it has learned, it polls soon and backs off.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._history import CompletionHistory
from .clock import Clock
from .errors import NanoBananaProError, TaskFailedError, WaitTimeoutError
from .task import Task, TaskStatus

__all__ = ["PollSchedule", "TaskOrigin", "TaskOrigins", "WaitState"]

#: A list shared by many waits is at most this share of their tasks' time to first completion old.
_LIST_SHARE = 0.2
#: ... and never has to be newer than this (seconds): lists come at most this often.
_QUICKEST_LIST = 0.2


@attrs.frozen(kw_only=True)
class PollSchedule:
    """When `wait()` polls.

    Until it has learned, it polls `initial_interval` after creation and backs off gently, by
    `factor` up to `backoff_cap`: a first task is someone waiting, and lag is what they feel.
    Once `min_samples` tasks of a resolution completed (learned by this client, or remembered
    from earlier runs), it sleeps until the learned completion window opens, then polls every
    `dense_interval`, backing off again only well past every completion seen. While several
    waits run, one list at most `list_interval` old (sooner for short tasks) serves them all; a
    wait expecting webhooks sweeps every `webhook_sweep` only.

    Attributes:
        initial_interval: Seconds before the first poll after creation.
        factor: Growth of the interval while backing off.
        backoff_cap: The interval never grows past this while backing off (seconds).
        max_interval: Hard cap on any pause between polls, in seconds.
        dense_interval: The interval inside the learned completion window.
        learn: Learn completion times from this client's tasks (False: plain backoff).
        min_samples: Completed tasks of one resolution needed before the window is used.
        spread: The window opens this many standard deviations (of the log of the learned
            durations) before their mean.
        list_interval: While several waits run, the list that tells them their statuses is
            at most this old (seconds), and, once learned, at most a fifth of the time to the
            first completions, though never under 0.2 s unless this is: one list serves them
            all.
        webhook_sweep: A wait whose task reports to a receiver in this process polls (or lists)
            this often only, as the backstop for a lost delivery (seconds).
    """

    initial_interval: float = 1.0
    factor: float = 1.1
    backoff_cap: float = 2.0
    max_interval: float = 30.0
    dense_interval: float = 1.7
    learn: bool = True
    min_samples: int = 3
    spread: float = 2.0
    list_interval: float = 2.0
    webhook_sweep: float = 30.0

    @classmethod
    def fixed(cls, interval: float) -> PollSchedule:
        """Poll every `interval` seconds, learning nothing."""
        return cls(
            initial_interval=interval,
            factor=1.0,
            backoff_cap=interval,
            max_interval=interval,
            learn=False,
            list_interval=interval,
        )

    def next_interval(
        self, *, age: float, previous: float | None, window: tuple[float, float] | None
    ) -> float:
        """The pause before the next poll of a task `age` seconds old.

        `previous` is the last pause (None before the first poll); `window` the learned
        completion window (opens, closes) of the task's kind, if any.
        """
        if window is None:
            if previous is None:
                pause = self.initial_interval
            else:
                pause = max(previous, min(self.backoff_cap, previous * self.factor))
        else:  # learned, here or in an earlier run: from the first poll on
            opens, closes = window
            if age < opens and previous is None:  # the first poll: when it opens, however soon
                pause = opens - age
            elif age < opens:
                pause = max(opens - age, self.dense_interval)
            elif age <= closes + (closes - opens):
                pause = self.dense_interval
            else:  # far past every completion seen: something is unusual, back off
                previous = previous or self.dense_interval
                pause = max(self.dense_interval, min(self.backoff_cap, previous * self.factor))
        return min(pause, self.max_interval)


@attrs.define(kw_only=True)
class TaskOrigin:
    """What the client knows of a task it created.

    Attributes:
        kind: What its poll schedule learns by (its resolution).
        created_at: When it was created, on the client's clock.
        request: The create body as sent, for the sidecars of its images.
        history: `(what, unix time)`: its creation and each status a wait saw.
    """

    kind: str
    created_at: float
    request: Mapping[str, Any] = attrs.field(factory=dict)
    history: list[tuple[str, float]] = attrs.field(factory=list)


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
        #: From when a list must show the task: its creation, when this client made it.
        self.listed_from = origin.created_at if origin else -math.inf
        self._on_update = on_update
        self._last_status: TaskStatus | None = None
        self._previous_pause: float | None = None
        self._last_unfinished_poll = self._created_at

    def observe(self, task: Task) -> bool:
        """Record a poll's answer; True when the task COMPLETED.

        Raises:
            TaskFailedError: the task ended without images (FAILED, CANCELLED, ERROR).
        """
        now = self._clock.monotonic()
        if task.status != self._last_status:
            self._last_status = task.status
            if self._origin is not None:
                self._origin.history.append((str(task.status), time.time()))
            if self._on_update is not None:
                self._on_update(task)
        if task.has_ended_without_images:
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

    def list_freshness(self) -> float:
        """How old a list may be to tell this wait its status (seconds).

        At most `list_interval`, and at most a fifth of the time tasks of its kind take
        to start completing, once learned: a list every 2 s would double a 1-s task's wait.
        """
        window = self._history.window(self._origin.kind, self._schedule) if self._origin else None
        if window is None:
            return self._schedule.list_interval
        return min(self._schedule.list_interval, max(_LIST_SHARE * window[0], _QUICKEST_LIST))

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
