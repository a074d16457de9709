"""The process-wide meeting point of webhook receivers and the clients' watchers.

A `WebhookReceiver` hands every verified delivery to `deliver`, which passes it to the watcher of
every live client in this process: a wait on that task then completes on delivery, with no GET.
Watchers register themselves (weakly: a client that is gone is forgotten); so do receivers, so
that a watcher knows deliveries can come at all (else it polls as if there were no webhooks).
"""

from __future__ import annotations

import threading
import weakref
from typing import Protocol

from .task import Task

__all__ = ["Watching", "deliver", "receiving", "register_receiver", "register_watcher"]


class Watching(Protocol):
    """What a watcher offers the receivers: a task as a delivery reported it."""

    def deliver(self, task: Task) -> None:
        """Take a delivered task (any thread)."""


_lock = threading.Lock()
_watchers: weakref.WeakSet[Watching] = weakref.WeakSet()
_receivers: weakref.WeakSet[object] = weakref.WeakSet()


def register_watcher(watcher: Watching) -> None:
    """Let `watcher` hear of deliveries, for as long as it lives."""
    with _lock:
        _watchers.add(watcher)


def register_receiver(receiver: object) -> None:
    """Say that deliveries can come to this process, for as long as `receiver` lives."""
    with _lock:
        _receivers.add(receiver)


def receiving() -> bool:
    """True while a receiver lives in this process."""
    with _lock:
        return len(_receivers) > 0


def deliver(task: Task) -> None:
    """Hand a verified delivery to every live watcher."""
    with _lock:
        watchers = list(_watchers)
    for watcher in watchers:
        watcher.deliver(task)
