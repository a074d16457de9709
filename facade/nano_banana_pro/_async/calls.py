"""`AsyncCalls`: the client's API calls, each rate-limited, retried and held to its deadline."""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from .._base import ClientCore
from .._config import DEFAULT_BASE_URL
from .._polling import WaitState
from .._retry import RetryPolicy, certainly_not_acted_on
from .._seam import request_deadline
from ..errors import (
    APITimeoutError,
    NanoBananaProError,
    NotFoundError,
    RateLimitError,
    about_task,
    rehint,
)
from ..task import Task
from .retry import call_with_retries
from .seam import AsyncServiceApi

if TYPE_CHECKING:
    from nano_banana_pro_api.models import CreateImageRequest

    from .._batch import CreateIntent

__all__ = ["AsyncCalls"]

T = TypeVar("T")


class AsyncCalls:
    """Every request a client sends to the API goes through here, under its budget."""

    def __init__(self, *, core: ClientCore, api: AsyncServiceApi) -> None:
        self._core = core
        self._api = api

    async def create(
        self,
        body: CreateImageRequest,
        *,
        policy: RetryPolicy | None = None,
        intent: CreateIntent | None = None,
        deadline: float | None = None,
    ) -> Task:
        """POST `body`, retried only while the service certainly did not act on it.

        `intent` hears of each attempt before it is sent and after one that made no task;
        with a `deadline`, retries go on until it (else `policy` bounds them).

        Raises:
            NanoBananaProError: the create failed (see `AsyncNanoBananaPro.create`).
        """

        async def post() -> Task:
            if intent is not None:
                intent.sending()
            try:
                return await self._api.create(body)
            except NanoBananaProError as error:
                if intent is not None and certainly_not_acted_on(error):
                    intent.not_sent()
                raise

        if policy is None:
            policy = self._core.retry_policy.unbounded()
        task = await self._call(post, policy=policy, idempotent=False, deadline=deadline)
        self._core.remember_created(task, body)
        return task

    async def get(self, task_id: str, *, policy: RetryPolicy, deadline: float | None) -> Task:
        """The task's current state.

        Raises:
            NanoBananaProError: the GET failed for good; `.task_id` names the task.
        """
        with about_task(task_id):
            return await self._call(
                partial(self._api.get, task_id),
                policy=policy,
                idempotent=True,
                deadline=deadline,
            )

    async def list(
        self, *, policy: RetryPolicy, deadline: float | None = None
    ) -> builtins.list[Task]:
        """The key's tasks.

        Raises:
            NanoBananaProError: the list failed for good.
        """
        try:
            return await self._call(
                self._api.list, policy=policy, idempotent=True, deadline=deadline
            )
        except NotFoundError as error:  # no task involved: the API is elsewhere
            rehint(error, f"the API is not at base_url: pass its root, such as {DEFAULT_BASE_URL}")
            raise

    async def poll(self, state: WaitState) -> Task:
        """One poll of a wait: its task's own GET, never past the wait's deadline.

        Raises:
            WaitTimeoutError: the deadline passed while polling.
            NanoBananaProError: polling failed for good (a 404, a refused key...).
        """
        try:
            with request_deadline(state.time_left()):
                # Polls are safe to repeat: a wait rides out 429s, 5xx and broken
                # connections until its own deadline, however many retries it takes.
                return await self.get(
                    state.task_id,
                    policy=self._core.retry_policy.unbounded(),
                    deadline=state.deadline,
                )
        except NanoBananaProError as error:
            state.raise_if_expired(error)
            raise

    async def list_for(self, state: WaitState) -> builtins.list[Task]:
        """The list that tells many waits their statuses: one attempt, within `state`'s deadline.

        Raises:
            NanoBananaProError: it failed (the wait polls its task itself this time).
        """
        with request_deadline(state.time_left()):
            return await self.list(policy=RetryPolicy(max_retries=0), deadline=state.deadline)

    async def _call(
        self,
        operation: Callable[[], Awaitable[T]],
        *,
        policy: RetryPolicy,
        idempotent: bool,
        deadline: float | None = None,
    ) -> T:
        """One API operation: rate-limited, retried per `policy`, never past `deadline`."""

        async def attempt() -> T:
            pause = self._core.throttle()
            while pause > 0:
                await self._held(pause, deadline=deadline)
                pause = self._core.throttle_again()
            sent_at = self._core.clock.monotonic()
            try:
                with request_deadline(self._core.attempt_seconds):
                    return await operation()
            except RateLimitError as error:
                self._core.cool_down(error)  # every call of this client waits, not this one
                raise
            finally:
                self._core.answered(sent_at)

        return await call_with_retries(
            attempt,
            policy=policy,
            clock=self._core.clock,
            idempotent=idempotent,
            deadline=deadline,
        )

    async def _held(self, pause: float, *, deadline: float | None) -> None:
        """Wait `pause` for the request's turn in the budget, but never past `deadline`.

        Raises:
            APITimeoutError: the turn comes after the deadline (a long cooldown after a 429, or
                a full budget); raised at the deadline, nothing sent.
        """
        clock = self._core.clock
        if deadline is None or clock.monotonic() + pause <= deadline:
            await clock.asleep(pause)
            return
        await clock.asleep(max(0.0, deadline - clock.monotonic()))
        raise APITimeoutError(
            "the request budget held this call past its deadline (a cooldown after a 429, or "
            "the rate limit): nothing was sent",
            request_sent=False,
        )
