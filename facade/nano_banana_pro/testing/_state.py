"""Tasks of the fake and their lifecycle: a status is computed from the clock when it is read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import attrs

from ._png import LONG_SIDE
from ._routes import IMAGE_PATH_PREFIX
from ._validation import DEFAULT_ASPECT_RATIO, DEFAULT_RESOLUTION

__all__ = ["FakeTask", "Schedule", "ScheduleSource", "schedule_for"]


def _not_before_in_progress(instance: Schedule, attribute: Any, value: float) -> None:
    if value < instance.in_progress_after:
        raise ValueError(
            f"complete_after ({value}) must not come before in_progress_after "
            f"({instance.in_progress_after})"
        )


@attrs.frozen(kw_only=True)
class Schedule:
    """When a task changes status, in seconds on the fake's clock after its creation.

    A step at 0 is the task's state at creation (no webhook); steps at the same time collapse
    into the later one.

    Attributes:
        in_progress_after: CREATED becomes IN_PROGRESS.
        complete_after: IN_PROGRESS becomes COMPLETED (or FAILED when the task is set to fail).
    """

    in_progress_after: float = attrs.field(default=1.0, validator=attrs.validators.ge(0))
    complete_after: float = attrs.field(
        default=5.0, validator=[attrs.validators.ge(0), _not_before_in_progress]
    )


ScheduleSource: TypeAlias = (
    Schedule | Mapping[str, Schedule] | Callable[[Mapping[str, Any]], Schedule]
)
"""One schedule for every task; one per resolution tier (`1K`, `2K`, `4K`; `low`, `medium` and
`high` count as `1K`, `2K` and `4K`; a missing tier gets `Schedule()`); or a function of the
create body."""

_TIER = {long_side: tier for tier, long_side in LONG_SIDE.items() if tier.endswith("K")}


def schedule_for(source: ScheduleSource, body: Mapping[str, Any]) -> Schedule:
    """The schedule of a task created with `body`."""
    if isinstance(source, Schedule):
        return source
    if isinstance(source, Mapping):
        tier = _TIER[LONG_SIDE[body.get("resolution", DEFAULT_RESOLUTION)]]
        return source.get(tier, Schedule())
    return source(body)


@attrs.define(kw_only=True)
class FakeTask:
    """One task the fake created.

    Attributes:
        task_id: Its id (a UUID string).
        body: The create request's JSON body.
        created_at: The clock's time at creation.
        schedule: When its status changes.
        fails: True when it ends FAILED instead of COMPLETED.
        origin: `scheme://host[:port]` it was created through; its image URL uses it.
        notified: How many status changes were sent to its webhook so far.
    """

    task_id: str
    body: Mapping[str, Any]
    created_at: float
    schedule: Schedule
    fails: bool = False
    origin: str
    notified: int = 0

    @property
    def aspect_ratio(self) -> str:
        """The requested aspect ratio, or the default."""
        return str(self.body.get("aspect_ratio", DEFAULT_ASPECT_RATIO))

    @property
    def resolution(self) -> str:
        """The requested resolution, or the default."""
        return str(self.body.get("resolution", DEFAULT_RESOLUTION))

    @property
    def webhook_url(self) -> str | None:
        """Where its status changes are sent, if anywhere."""
        url = self.body.get("webhook_url")
        return None if url is None else str(url)

    @property
    def image_url(self) -> str:
        """The URL of its image on the fake."""
        return f"{self.origin}{IMAGE_PATH_PREFIX}{self.task_id}.png"

    def steps(self) -> list[tuple[float, str]]:
        """`(clock time, status)` of each state, in order, simultaneous steps collapsed."""
        final = "FAILED" if self.fails else "COMPLETED"
        planned = [
            (self.created_at, "CREATED"),
            (self.created_at + self.schedule.in_progress_after, "IN_PROGRESS"),
            (self.created_at + self.schedule.complete_after, final),
        ]
        return [
            step
            for step, following in zip(planned, [*planned[1:], None], strict=True)
            if following is None or following[0] > step[0]
        ]

    def changes(self) -> list[tuple[float, str]]:
        """The steps after its state at creation: the ones a webhook reports."""
        return [step for step in self.steps() if step[0] > self.created_at]

    def status_at(self, now: float) -> str:
        """Its status at clock time `now`."""
        status = "CREATED"
        for at, step_status in self.steps():
            if at <= now:
                status = step_status
        return status

    def detail(self, status: str) -> dict[str, Any]:
        """Its `TaskDetail` when in `status` (the image URL only once COMPLETED)."""
        generated = [self.image_url] if status == "COMPLETED" else []
        return {"task_id": self.task_id, "status": status, "generated": generated}
