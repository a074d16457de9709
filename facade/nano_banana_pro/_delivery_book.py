"""`DeliveryBook`: the deliveries a webhook receiver accepted or is processing, the tasks ended."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from enum import Enum

from .task import Task

logger = logging.getLogger("nano_banana_pro")


class Refusal(Enum):
    """Why a verified delivery is not processed."""

    DUPLICATE = "its webhook-id was accepted already"
    IN_PROGRESS = "the same webhook-id is being processed right now"
    STALE = "a non-final status of a task already seen final (reordered)"


class DeliveryBook:
    """The deliveries of one receiver, safe to share between threads.

    Args:
        remember: How many accepted ids (and ended tasks) are kept, least recent forgotten first.
    """

    def __init__(self, *, remember: int) -> None:
        self._remember = remember
        self._lock = threading.Lock()
        self._accepted: OrderedDict[str, None] = OrderedDict()
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._processing: set[str] = set()

    def __len__(self) -> int:
        return len(self._accepted)

    def claim(self, delivery_id: str, task: Task) -> Refusal | None:
        """Mark the delivery as being processed; or why it must not be."""
        with self._lock:
            if delivery_id in self._accepted:
                self._accepted.move_to_end(delivery_id)
                logger.debug("webhook %s is a duplicate: ignored", delivery_id)
                return Refusal.DUPLICATE
            if delivery_id in self._processing:
                return Refusal.IN_PROGRESS
            if task.task_id in self._ended and not task.is_terminal:
                logger.debug(
                    "webhook %s reports task %s %s after its final status: ignored",
                    delivery_id,
                    task.task_id,
                    task.status,
                )
                return Refusal.STALE
            self._processing.add(delivery_id)
        return None

    def release(self, delivery_id: str) -> None:
        """The claimed delivery was not processed after all: its next sending will be."""
        with self._lock:
            self._processing.discard(delivery_id)

    def accept(self, delivery_id: str, task: Task) -> None:
        """Remember the claimed delivery as accepted (and its task as ended, if it has)."""
        with self._lock:
            self._processing.discard(delivery_id)
            self._keep(self._accepted, delivery_id)
            if task.is_terminal:
                self._keep(self._ended, task.task_id)

    def _keep(self, recent: OrderedDict[str, None], key: str) -> None:
        """Add `key` as the most recent; forget the least recent beyond the limit."""
        recent[key] = None
        recent.move_to_end(key)
        while len(recent) > self._remember:
            recent.popitem(last=False)
