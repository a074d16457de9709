"""What the sync and async clients share: settings, request building, argument checks."""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from ._config import (
    check_max_retries,
    check_seconds,
    resolve_api_key,
    resolve_base_url,
    resolve_timeout,
)
from ._governor import Governor
from ._history import CompletionHistory, default_cache_file
from ._logging import configure_from_env
from ._polling import PollSchedule, TaskOrigin, TaskOrigins, WaitState
from ._ratelimit import RateLimit
from ._retry import RetryPolicy
from ._url_checks import check_encodable
from .clock import Clock, SystemClock
from .errors import BudgetFileError, InvalidRequestError, RateLimitError
from .task import Task

logger = logging.getLogger("nano_banana_pro")

if TYPE_CHECKING:
    from nano_banana_pro_api.models import CreateImageRequest

    from .sidecar import Provenance


class ClientCore:
    """Settings resolved once (arguments, then environment, then defaults) and shared helpers."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        wait_timeout: float,
        clock: Clock | None,
        poll_schedule: PollSchedule | None,
        rate_limit: RateLimit | None,
    ) -> None:
        configure_from_env()
        self.api_key = resolve_api_key(api_key)
        self.base_url = resolve_base_url(base_url)
        self.timeout = resolve_timeout(timeout)
        phases = (self.timeout.connect, self.timeout.read, self.timeout.write, self.timeout.pool)
        #: The wall-clock deadline of one API request, body included: its longest phase.
        self.attempt_seconds = max((s for s in phases if s is not None), default=math.inf)
        self.retry_policy = RetryPolicy(max_retries=check_max_retries(max_retries))
        self.wait_timeout = check_wait_timeout(wait_timeout)
        self.clock: Clock = clock or SystemClock()
        self.poll_schedule = poll_schedule or PollSchedule()
        self._governor = Governor(
            rate_limit, clock=self.clock, request_seconds=self.attempt_seconds
        )
        self.history = CompletionHistory(cache=default_cache_file())
        self._origins = TaskOrigins()

    def throttle(self) -> float:
        """Seconds to wait before the next request: its turn in the budget, after any cooldown.

        0: send it now. Otherwise wait, then ask `throttle_again()`.

        Raises:
            BudgetFileError: the budget file shared with other processes cannot be used.
        """
        return self._governor.reserve()

    def throttle_again(self) -> float:
        """After waiting what `throttle()` said: 0 (send now), or seconds more to wait.

        More when the requests sent meanwhile leave no room yet, or a cooldown began.

        Raises:
            BudgetFileError: the budget file shared with other processes cannot be used.
        """
        return self._governor.confirm()

    def answered(self, sent_at: float) -> None:
        """The request sent at `sent_at` (when `throttle()` or `throttle_again()` said 0) ended.

        Its place in the budget's windows lasts until a window's length after now: the service
        counted it at some instant before its answer. Never raises: the request's own outcome
        (a billed task) must not be replaced by the budget's bookkeeping; a shared file that
        fails here is logged, and counts the request until its deadline instead.
        """
        try:
            self._governor.answered(sent_at)
        except BudgetFileError as error:
            logger.warning("the shared request budget could not record an answer: %s", error)

    def cool_down(self, error: RateLimitError) -> None:
        """After a 429 with `Retry-After`: no call of this client is sent before it has passed.

        Each call honouring its own `Retry-After` is not enough: the others would keep sending,
        and all would come back together and collide again. With a shared budget, no call of
        the other processes is sent either.

        Never raises (the 429 is the error to tell); a shared file that fails is logged.
        """
        if error.retry_after is None:
            return
        try:
            self._governor.cool_down(min(error.retry_after, self.retry_policy.retry_after_cap))
        except BudgetFileError as failure:
            logger.warning("the shared request budget could not record a cooldown: %s", failure)

    def close(self) -> None:
        """Release the budget file, if the budget is shared (opened again if used again)."""
        self._governor.close()

    def remember_created(self, task: Task, body: CreateImageRequest) -> None:
        """Note a new task: its kind, creation time, body and history (schedule, sidecars)."""
        self._origins.remember(
            task.task_id,
            TaskOrigin(
                kind=str(body.resolution),
                created_at=self.clock.monotonic(),
                request=body.to_dict(),
                history=[("created", time.time())],
            ),
        )

    def provenance(self, task_id: str) -> Provenance:
        """What the sidecars of a task's images say: all this client knows of it."""
        from .sidecar import Provenance

        origin = self._origins.get(task_id)
        if origin is None:
            return Provenance()
        return Provenance(request=origin.request, history=tuple(origin.history))

    def start_wait(
        self,
        task: Task | str,
        *,
        timeout: float | None,
        on_update: Callable[[Task], object] | None,
    ) -> WaitState:
        """The bookkeeping of a new wait for `task`.

        Raises:
            InvalidRequestError: a bad task or timeout.
        """
        task_id = task_id_of(task)
        return WaitState(
            task_id=task_id,
            timeout=self.wait_timeout if timeout is None else check_wait_timeout(timeout),
            clock=self.clock,
            schedule=self.poll_schedule,
            history=self.history,
            origin=self._origins.get(task_id),
            on_update=on_update,
        )

    def policy(self, max_retries: int | None) -> RetryPolicy:
        """The client's retry policy, or one with a per-call `max_retries`.

        Raises:
            InvalidRequestError: `max_retries` is negative.
        """
        if max_retries is None:
            return self.retry_policy
        return RetryPolicy(max_retries=check_max_retries(max_retries))

    def describe(self, class_name: str) -> str:
        """A repr without the key."""
        return f"{class_name}(base_url={self.base_url!r}, api_key='***')"


def check_wait_timeout(timeout: float) -> float:
    """The timeout itself, once checked.

    Raises:
        InvalidRequestError: it is not a positive, finite number.
    """
    return check_seconds(timeout, field="timeout")


def per_call_wait_timeout(wait_timeout: float | None, timeout: float | None) -> float | None:
    """A call's wait deadline, checked: `wait_timeout=`, or its deprecated name `timeout=`.

    `timeout=` names the HTTP timeout on the constructor; on `wait()`/`generate()` it meant the
    wait's deadline. It keeps working for one release, with a `DeprecationWarning`.

    Raises:
        InvalidRequestError: both were given, or the value is not a positive, finite number.
    """
    if timeout is not None:
        if wait_timeout is not None:
            raise InvalidRequestError(
                "timeout", "give wait_timeout= only (timeout= is its old name)"
            )
        warnings.warn(
            "timeout= of wait()/generate()/generate_many() is now wait_timeout=; timeout= "
            "goes in the next release",
            DeprecationWarning,
            stacklevel=3,
        )
        wait_timeout = timeout
    return None if wait_timeout is None else check_wait_timeout(wait_timeout)


def task_id_of(task: Task | str) -> str:
    """The id of a task given as a `Task` or an id.

    Raises:
        InvalidRequestError: an empty id, `.` or `..`, text that is not valid Unicode, or
            another type.
    """
    task_id = task.task_id if isinstance(task, Task) else task
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidRequestError("task", f"pass a Task or a task id string, got {task!r}")
    task_id = check_encodable(task_id.strip(), field="task")
    if task_id in (".", ".."):  # a URL would read them as "this folder" and "the parent"
        raise InvalidRequestError("task", f"{task_id!r} is not a task id")
    return task_id


def check_concurrency(concurrency: int) -> int:
    """`concurrency` itself, once checked.

    Raises:
        InvalidRequestError: it is not a positive integer.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidRequestError("concurrency", f"must be an integer >= 1, got {concurrency!r}")
    return concurrency
