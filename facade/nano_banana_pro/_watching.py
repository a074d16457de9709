"""The process-wide meeting point of webhook receivers and the clients' watchers.

A `WebhookReceiver` hands every verified delivery to `deliver`, which passes it to the watcher of
every live client in this process: a wait on that task then completes on delivery, with no GET.
Watchers register themselves (weakly: a client that is gone is forgotten). A wait learns that its
task's deliveries come from the first one that does; until then it polls as if there were none.
"""

from __future__ import annotations

import threading
import weakref
from typing import Protocol

from .task import Task

__all__ = ["Watching", "deliver", "register_watcher"]


class Watching(Protocol):
    """What a watcher offers the receivers: a task as a delivery reported it."""

    def deliver(self, task: Task) -> None:
        """Take a delivered task (any thread)."""


_lock = threading.Lock()
_watchers: weakref.WeakSet[Watching] = weakref.WeakSet()


def register_watcher(watcher: Watching) -> None:
    """Let `watcher` hear of deliveries, for as long as it lives."""
    with _lock:
        _watchers.add(watcher)


def deliver(task: Task) -> None:
    """Hand a verified delivery to every live watcher."""
    with _lock:
        watchers = list(_watchers)
    for watcher in watchers:
        watcher.deliver(task)
