"""Waiting for a task: the poll schedule and the bookkeeping of one wait (deadline, updates)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs

from .clock import Clock
from .errors import NanoBananaProError, TaskFailedError, WaitTimeoutError
from .task import Task, TaskStatus

__all__ = ["PollSchedule", "WaitState"]


@attrs.frozen(kw_only=True)
class PollSchedule:
    """Poll soon after creation, then less and less often, up to `max_interval`.

    Attributes:
        initial_interval: Seconds before the second poll.
        factor: Growth of the interval after each poll.
        max_interval: The interval never grows past this (seconds).
    """

    initial_interval: float = 1.0
    factor: float = 1.5
    max_interval: float = 8.0

    def intervals(self) -> Iterator[float]:
        """The waits between polls, forever."""
        interval = self.initial_interval
        while True:
            yield interval
            interval = min(self.max_interval, interval * self.factor)


class WaitState:
    """The bookkeeping of one wait: deadline, status changes and the next pause."""

    def __init__(
        self,
        *,
        task_id: str,
        timeout: float,
        clock: Clock,
        schedule: PollSchedule,
        on_update: Callable[[Task], object] | None,
    ) -> None:
        self.task_id = task_id
        self._clock = clock
        self._started = clock.monotonic()
        self.deadline = self._started + timeout
        self._intervals = schedule.intervals()
        self._on_update = on_update
        self._last_status: TaskStatus | None = None

    def observe(self, task: Task) -> bool:
        """Record a poll's answer; True when the task COMPLETED.

        Raises:
            TaskFailedError: the task FAILED.
        """
        if task.status != self._last_status:
            self._last_status = task.status
            if self._on_update is not None:
                self._on_update(task)
        if task.status == TaskStatus.FAILED:
            raise TaskFailedError(task)
        return task.is_completed

    def next_pause(self) -> float:
        """Seconds to wait before the next poll, never past the deadline.

        Raises:
            WaitTimeoutError: the deadline has passed.
        """
        remaining = self.deadline - self._clock.monotonic()
        if remaining <= 0:
            raise WaitTimeoutError(
                task_id=self.task_id,
                elapsed=self._clock.monotonic() - self._started,
                last_status=self._last_status,
            )
        return min(next(self._intervals), remaining)

    def tag(self, error: NanoBananaProError) -> NanoBananaProError:
        """Attach the task id to an error raised while polling, and return it."""
        error.task_id = self.task_id
        return error
