"""`AsyncWatcher`: the one completion path of a client; every wait of the client goes through it.

A wait alone polls its task (`GET`), as its schedule says. While several waits run, one `list()`
at most `WaitState.list_freshness()` old (`PollSchedule.list_interval`, sooner for short tasks)
tells them all their statuses: a task's own GET is made only to read its image URLs once the
list says it ended, or when the list does not show it (the list may be paged or cut short
upstream: that task polls for itself from then on). A webhook delivery
(`receiver.WebhookReceiver`, through `_watching`) completes a wait at once, with no request; a
wait whose task's deliveries come sweeps only every `PollSchedule.webhook_sweep`, the backstop
for one that is lost. Deadlines, `on_update`, errors and cancellation stay each wait's own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import attrs

from .. import _watching
from .._polling import PollSchedule, WaitState
from .._synchronization import AsyncLock, AsyncSignal
from ..clock import Clock
from ..errors import NanoBananaProError
from ..task import Task, TaskStatus

__all__ = ["AsyncWatcher"]

#: Deliveries kept for waits that have not started yet (a webhook can beat `create()`'s answer).
_RECENT = 4096
#: Waking this much after a list falls due makes sure it has, whatever the rounding (seconds).
_CLOCK_SLACK = 1e-6


@attrs.define(eq=False)
class _Waiting:
    """One wait in progress: how to wake it, and what a delivery or a list said."""

    task_id: str
    signal: AsyncSignal
    listed_from: float
    fed: bool = False
    delivered: Task | None = None
    listed: str | None = None
    unlisted: bool = False
    next_list_at: float | None = None


class AsyncWatcher:
    """Every wait of one client: polls, one list for many waits, webhook deliveries."""

    def __init__(
        self,
        *,
        get: Callable[[WaitState], Awaitable[Task]],
        list_tasks: Callable[[WaitState], Awaitable[list[Task]]],
        clock: Clock,
        schedule: PollSchedule,
    ) -> None:
        self._get = get
        self._list_tasks = list_tasks
        self._clock = clock
        self._schedule = schedule
        # Deliveries come from any thread: the registry is only touched under this lock, for
        # moments, never across a wait.
        self._registry = threading.Lock()
        self._waiting: dict[str, list[_Waiting]] = {}
        self._recent: OrderedDict[str, Task] = OrderedDict()
        self._listed_at = -float("inf")  # when the last list was sent...
        self._list_done_at = -float("inf")  # ...and when it came back
        self._list_failed_at = -float("inf")
        self._waits = 0  # waits in progress, all tasks together
        self._listing = AsyncLock()
        _watching.register_watcher(self)

    async def wait(self, state: WaitState, first: Task | None) -> Task:
        """Until the task COMPLETED (returned) or ended otherwise, or the deadline passed.

        Once a delivery for the task has come (its webhook reaches a receiver in this process),
        the wait sweeps only every `webhook_sweep`: later deliveries will come too.

        Args:
            state: The wait's own bookkeeping (deadline, schedule, `on_update`).
            first: The task as already known (it counts as the first poll), or None.

        Raises:
            TaskFailedError: the task ended without images.
            WaitTimeoutError: the deadline passed first.
            NanoBananaProError: polling failed for good (a 404, a refused key...).
        """
        me = _Waiting(task_id=state.task_id, signal=AsyncSignal(), listed_from=state.listed_from)
        with self._registry:
            self._waiting.setdefault(me.task_id, []).append(me)
            self._waits += 1
            me.delivered = self._recent.pop(me.task_id, None)
            me.fed = me.delivered is not None
        try:
            current = first
            while True:
                if current is None:
                    current = await self._learn(me, state)
                if current is not None and state.observe(current):
                    return current
                current = None
                pause = state.next_pause()
                if me.fed:
                    pause = max(pause, min(self._schedule.webhook_sweep, state.time_left()))
                elif me.next_list_at is not None:  # told by a list: wake for the next one
                    until_next = me.next_list_at - self._clock.monotonic() + _CLOCK_SLACK
                    pause = min(pause, max(until_next, 0.0))
                me.next_list_at = None
                await me.signal.wait(pause, clock=self._clock)
        finally:
            self._leave(me)

    def deliver(self, task: Task) -> None:
        """A webhook delivery (any thread): wake every wait on that task.

        A delivery never takes a wait back: a late IN_PROGRESS after COMPLETED is ignored.
        """
        with self._registry:
            waits = list(self._waiting.get(task.task_id, []))
            if not waits:
                known = self._recent.get(task.task_id)
                if known is None or not known.is_terminal:
                    self._recent[task.task_id] = task
                    self._recent.move_to_end(task.task_id)
                    while len(self._recent) > _RECENT:
                        self._recent.popitem(last=False)
                return
            for waiting in waits:
                waiting.fed = True
                if waiting.delivered is None or not waiting.delivered.is_terminal:
                    waiting.delivered = task
        for waiting in waits:
            waiting.signal.notify()

    async def _learn(self, me: _Waiting, state: WaitState) -> Task | None:
        """The task's state now: from a delivery, a list, or its own GET; None: no news yet."""
        with self._registry:  # a delivery may come from another thread meanwhile
            delivered, me.delivered = me.delivered, None
        if delivered is not None:
            if not delivered.is_completed or delivered.generated:
                return delivered
            return await self._get(state)  # it ended, its URLs missing: no list can say more
        if self._others_wait() and not me.unlisted and await self._refresh_list(me, state):
            # Told by a list: wake for the next one, due a freshness after this one came back.
            next_list_at = self._list_done_at + state.list_freshness()
            if self._listed_at <= me.listed_from:
                me.next_list_at = next_list_at
                return None  # the last list is older than the task: the next one shows it
            if me.listed is None:
                me.unlisted = True  # not shown: it polls for itself from now on
            elif me.listed not in _ENDED:
                me.next_list_at = next_list_at
                return Task(task_id=me.task_id, status=TaskStatus(me.listed))
        return await self._get(state)

    def _others_wait(self) -> bool:
        with self._registry:
            return self._waits > 1

    async def _refresh_list(self, me: _Waiting, state: WaitState) -> bool:
        """List the tasks unless a list is recent enough for this wait; False: no list to use.

        None to use when the list failed, here or lately for another wait: the wait GETs its
        task itself, and no list is tried again before one would be due.

        Recent enough: at most `state.list_freshness()` old, or `webhook_sweep` once the wait's
        deliveries come (its sweep is only the backstop). One list serves every wait.
        """
        oldest = self._schedule.webhook_sweep if me.fed else state.list_freshness()
        asked = self._clock.monotonic()
        async with self._listing:
            if self._clock.monotonic() - self._list_failed_at < oldest:
                return False  # a list failed lately: not again before one is due
            # A list that came back while this wait queued for it is news enough, however
            # long it took: else every queued wait would list again, one after another.
            came_meanwhile = self._list_done_at >= asked
            if not came_meanwhile and self._clock.monotonic() - self._listed_at >= oldest:
                started = self._clock.monotonic()  # the list shows every task created before
                try:
                    listed = await self._list_tasks(state)
                except NanoBananaProError:
                    self._list_failed_at = self._clock.monotonic()
                    return False
                self._listed_at, self._list_done_at = started, self._clock.monotonic()
                self._spread({task.task_id: str(task.status) for task in listed})
        return True

    def _spread(self, statuses: dict[str, str]) -> None:
        """Tell every wait its listed status; wake those whose task ended (to read it)."""
        ended = []
        with self._registry:
            for task_id, waits in self._waiting.items():
                status = statuses.get(task_id)
                for waiting in waits:
                    if status != waiting.listed and status in _ENDED:
                        ended.append(waiting)
                    waiting.listed = status
        for waiting in ended:
            waiting.signal.notify()

    def _leave(self, me: _Waiting) -> None:
        with self._registry:
            waits = self._waiting.get(me.task_id, [])
            if me in waits:
                waits.remove(me)
                self._waits -= 1
            if not waits:
                self._waiting.pop(me.task_id, None)


#: Listed statuses that need the task's own GET: its images, or how it ended.
_ENDED = frozenset({"COMPLETED", "FAILED", "CANCELLED", "ERROR"})
