"""`Task`: what the service says about one generation task, in a form that survives API changes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import attrs

from nano_banana_pro_api.models import TaskStatus

__all__ = ["ENDED_WITHOUT_IMAGES", "TERMINAL_STATUSES", "Task", "TaskStatus"]

logger = logging.getLogger("nano_banana_pro")

#: Statuses after which a task has no images and never will: FAILED (the spec), and CANCELLED and
#: ERROR, which sibling endpoints of this API and the official MCP server report as final.
ENDED_WITHOUT_IMAGES = frozenset({"FAILED", "CANCELLED", "ERROR"})
#: The statuses after which a task never changes again.
TERMINAL_STATUSES = frozenset({TaskStatus.COMPLETED, *ENDED_WITHOUT_IMAGES})
_warned_statuses: set[str] = set()


@attrs.frozen(kw_only=True)
class Task:
    """One generation task.

    Attributes:
        task_id: The task's id (a UUID string).
        status: Its status. A value the client does not know yet is kept as a `TaskStatus`
            pseudo-member (it compares equal to the string) and treated as not terminal.
        generated: URLs of the generated images (empty until COMPLETED). They expire: download
            them promptly.
        raw: The task as the service sent it, fields the spec does not know included.
    """

    task_id: str
    status: TaskStatus
    generated: tuple[str, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Task:
        """Build a task from the service's JSON object (the `data` of a response, or a webhook).

        Raises:
            KeyError: `task_id` or `status` is missing.
            TypeError: a field has the wrong type.
        """
        status = payload["status"]
        if not isinstance(status, str):
            raise TypeError(f"status must be a string, got {status!r}")
        generated = payload.get("generated") or []
        if not isinstance(generated, list) or not all(isinstance(url, str) for url in generated):
            raise TypeError(f"generated must be a list of URLs, got {generated!r}")
        task_id = payload["task_id"]
        if not isinstance(task_id, str) or not task_id:
            raise TypeError(f"task_id must be a non-empty string, got {task_id!r}")
        task = cls(
            task_id=task_id,
            status=TaskStatus(status),
            generated=tuple(generated),
            raw=dict(payload),
        )
        if not task.is_known_status:
            _warn_unknown_status(task.status)
        return task

    @property
    def is_known_status(self) -> bool:
        """False when the service sent a status this version of the client does not know."""
        return self.status in TaskStatus.__members__.values() or self.status in TERMINAL_STATUSES

    @property
    def is_terminal(self) -> bool:
        """True when the task will not change again (COMPLETED, FAILED, CANCELLED, ERROR)."""
        return self.status in TERMINAL_STATUSES

    @property
    def has_ended_without_images(self) -> bool:
        """True when the task ended and never will have images (FAILED, CANCELLED, ERROR)."""
        return self.status in ENDED_WITHOUT_IMAGES

    @property
    def is_completed(self) -> bool:
        """True when the task COMPLETED and its images can be downloaded."""
        return self.status == TaskStatus.COMPLETED


def _warn_unknown_status(status: str) -> None:
    """Log a status this client does not know, once per value per process."""
    if status not in _warned_statuses:
        _warned_statuses.add(status)
        logger.warning(
            "the service reported task status %r, which this client does not know; treating it "
            "as not finished. Upgrade magnific-nano-banana-pro if this persists.",
            status,
        )
