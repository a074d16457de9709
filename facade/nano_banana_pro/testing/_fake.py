"""`FakeMagnific`: the service, in memory, with its lifecycle on a clock and faults on demand."""

from __future__ import annotations

import contextlib
import heapq
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence

import httpx

from ..clock import Clock, VirtualClock
from ._deliveries import WebhookDelivery, WebhookSender
from ._faults import FaultQueue, error_reply
from ._http import FakeRequest, Outcome, Reply, bytes_reply, json_reply
from ._knobs import FaultKnobs
from ._limits import RateLimiter, RateWindow
from ._log import RecordedRequest, record
from ._png import image_size, png_bytes
from ._routes import Route, route
from ._server import serve
from ._state import FakeTask, Schedule, ScheduleSource, schedule_for
from ._transport import FakeTransport
from ._validation import invalid_params
from ._webhook_pump import WebhookPump

__all__ = ["DEFAULT_WEBHOOK_SECRET", "FakeMagnific"]

#: The secret the fake signs its webhooks with, unless given another.
DEFAULT_WEBHOOK_SECRET = "fake-webhook-secret"  # noqa: S105 (a test value, not a credential)
DEFAULT_SCHEDULE = Schedule()
DEFAULT_IMAGE_SCALE = 1 / 16
_NOT_FOUND = {"message": "AI resource not found"}
_INVALID_BODY_MESSAGE = "Your request parameters didn't validate."


class FakeMagnific(FaultKnobs, WebhookPump):
    """An in-memory Magnific Nano Banana Pro service, faithful to the spec.

    Use it in-process through `transport()` / `async_transport()`, or over real HTTP with
    `serve()`. Task statuses follow `schedule` on `clock` and are computed when read; with the
    default `VirtualClock`, tests move time with `advance()` or by sleeping on `fake.clock`
    (give a client under test that same clock, so its polling waits move the fake's time).
    Status changes are noticed, and their webhooks sent, when a request arrives or on
    `advance()`.

    Faults (`fail_next`, `drop_next`, `delay_next`) apply to the next `count` matching requests,
    oldest armed first, one per request; `fail_task_next` and `unknown_status_next` shape tasks
    and GET answers.

    Attributes:
        requests: Every request received, in order.
        tasks: Every task created, by id.
        webhook_deliveries: Every webhook delivered (or attempted), in order.
    """

    def __init__(
        self,
        *,
        api_key: str | None = "test-key",
        clock: Clock | None = None,
        schedule: ScheduleSource = DEFAULT_SCHEDULE,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        webhook_sender: WebhookSender | None = None,
        image_scale: float = DEFAULT_IMAGE_SCALE,
        image_min_bytes: int = 0,
        rate_limits: Sequence[RateWindow] = (),
    ) -> None:
        """Create an empty service.

        Args:
            api_key: The key requests must send in `x-magnific-api-key`; None accepts any
                non-empty key.
            clock: The clock statuses and delays follow; defaults to a new `VirtualClock`.
            schedule: When tasks change status (see `ScheduleSource`).
            webhook_secret: The secret deliveries are signed with (`nano_banana_pro.webhooks`).
            webhook_sender: Sends each delivery, e.g. `post_webhook`; by default deliveries are
                only recorded in `webhook_deliveries`.
            image_scale: Factor on the image sizes (the long side is 1024, 2048 or 4096 pixels
                for 1K, 2K, 4K); the default 1/16 makes a 16:9 2K image 128x72; 1.0 is full size.
            image_min_bytes: Pad every PNG to at least this many bytes (download benchmarks).
            rate_limits: Windows of the API requests admitted per key; past any of them, a
                request gets 429 with `Retry-After` (`documented_limits()`: the service's own,
                their time scalable for tests). None by default.

        Raises:
            ValueError: `image_scale` is not positive or `image_min_bytes` is negative.
        """
        if image_scale <= 0:
            raise ValueError(f"image_scale must be positive, got {image_scale}")
        if image_min_bytes < 0:
            raise ValueError(f"image_min_bytes must be 0 or more, got {image_min_bytes}")
        self._api_key = api_key
        self._clock: Clock = VirtualClock() if clock is None else clock
        self._schedule = schedule
        self._webhook_secret = webhook_secret
        self._webhook_sender = webhook_sender
        self._image_scale = image_scale
        self._image_min_bytes = image_min_bytes
        self._epoch = time.time() - self._clock.monotonic()
        self._lock = threading.RLock()
        self._faults = FaultQueue()
        self._failing_tasks = 0
        self._reported_statuses: deque[str] = deque()
        self._limiter = RateLimiter(rate_limits)
        #: `(clock time, order, task id, status)` of each webhook not sent yet, earliest first.
        self._pending: list[tuple[float, int, str, str]] = []
        self.requests: list[RecordedRequest] = []
        self.tasks: dict[str, FakeTask] = {}
        self.webhook_deliveries: list[WebhookDelivery] = []

    def __repr__(self) -> str:
        return f"FakeMagnific(tasks={len(self.tasks)}, clock={self._clock!r})"

    @property
    def clock(self) -> Clock:
        """The clock task statuses follow."""
        return self._clock

    # -- ways in -------------------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport answering in-process, for `httpx.Client(transport=...)`.

        Any base URL works (e.g. `https://api.magnific.com`); image URLs use the same origin.
        """
        return FakeTransport(self._handle, self._clock)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async httpx transport answering in-process, for `httpx.AsyncClient(transport=...)`.

        Webhook senders run synchronously in the event loop.
        """
        return FakeTransport(self._handle, self._clock)

    @contextlib.contextmanager
    def serve(self, *, port: int = 0) -> Iterator[str]:
        """Serve over real HTTP on 127.0.0.1; yield the base URL (`http://127.0.0.1:PORT`).

        The server runs in a daemon thread and stops, closing every connection, on exit. A drop
        fault closes the socket without answering; delays sleep on the clock (pass a
        `SystemClock` for real waits).

        On a clock that moves by itself (not a `VirtualClock`), webhooks are sent as their
        status changes come, as the service sends them, not only when a request arrives.

        Args:
            port: The port to listen on; 0 lets the system choose a free one.
        """
        with contextlib.ExitStack() as stack:
            base_url = stack.enter_context(serve(self._handle, self._clock, port=port))
            if not isinstance(self._clock, VirtualClock):
                stack.enter_context(self._sending_on_time())
            yield base_url

    # -- time ----------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward and send the webhooks that fell due.

        Raises:
            TypeError: the fake runs on a clock other than `VirtualClock`.
            ValueError: `seconds` is negative.
        """
        if not isinstance(self._clock, VirtualClock):
            raise TypeError(
                f"advance() needs a VirtualClock, but this fake runs on {self._clock!r}; "
                "create it with FakeMagnific(clock=VirtualClock()) or leave clock unset"
            )
        self._clock.advance(seconds)
        self.send_due_webhooks()

    def status(self, task_id: str) -> str:
        """The current status of a task, as the service would report it.

        Raises:
            KeyError: no task has this id.
        """
        with self._lock:
            return self.tasks[task_id].status_at(self._clock.monotonic())

    # -- handling ------------------------------------------------------------------------------

    def _handle(self, request: FakeRequest) -> Outcome:
        """Answer one request, whatever carried it; send the webhooks that fell due first."""
        with self._lock:
            due = self._due_webhooks()
            matched = route(request.method, request.raw_path)
            throttled = self._throttled(request, matched)
            fault = None if throttled else self._faults.take(matched.operation)
            processed = None
            if throttled is None and (fault is None or fault.after_processing):
                processed = self._respond(request, matched)
            outcome = Outcome(reply=throttled or processed)
            if fault is not None:
                outcome = fault.outcome(processed)
            self.requests.append(
                record(
                    request,
                    operation=matched.operation,
                    status=None if outcome.reply is None else outcome.reply.status,
                    fault="rate_limit" if throttled else None if fault is None else fault.name,
                    at=self._clock.monotonic(),
                )
            )
        self._send(due)
        return outcome

    def _throttled(self, request: FakeRequest, target: Route) -> Reply | None:
        """The 429 for an API request past the rate limits, or None when it is admitted."""
        if target.operation not in ("create", "get", "list"):
            return None
        key = request.headers.get("x-magnific-api-key", "")
        wait = self._limiter.admit(key, self._clock.monotonic())
        return None if wait is None else error_reply(429, retry_after=wait)

    def _respond(self, request: FakeRequest, target: Route) -> Reply:
        if not target.allowed:
            return json_reply(404, {"message": "Not found"})
        if target.operation == "image":
            return self._image(target.segment)
        refused = self._refused_key(request.headers.get("x-magnific-api-key", ""))
        if refused is not None:
            return refused
        if target.operation == "create":
            return self._create(request)
        if target.operation == "get":
            return self._get(target.segment)
        if target.operation == "list":
            return self._list()
        return json_reply(
            405, {"message": "Method not allowed"}, headers={"allow": ", ".join(target.allowed)}
        )

    def _refused_key(self, key: str) -> Reply | None:
        if not key:
            return json_reply(401, {"message": "Missing API key"})
        if self._api_key is not None and key != self._api_key:
            return json_reply(401, {"message": "Invalid API key"})
        return None

    def _create(self, request: FakeRequest) -> Reply:
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            return _invalid([{"name": "body", "reason": "Expected Content-Type application/json"}])
        try:
            body = json.loads(request.body)
        except ValueError:
            return _invalid([{"name": "body", "reason": "Invalid JSON"}])
        problems = invalid_params(body)
        if problems:
            return _invalid(problems)
        task = FakeTask(
            task_id=str(uuid.uuid4()),
            body=body,
            created_at=self._clock.monotonic(),
            schedule=schedule_for(self._schedule, body),
            fails=self._failing_tasks > 0,
            origin=request.origin,
        )
        self._failing_tasks = max(0, self._failing_tasks - 1)
        self.tasks[task.task_id] = task
        if task.webhook_url is not None:
            for at, status in task.changes():
                heapq.heappush(self._pending, (at, len(self._pending), task.task_id, status))
        return json_reply(200, {"data": task.detail(task.status_at(task.created_at))})

    def _get(self, task_id: str) -> Reply:
        task = self.tasks.get(task_id)
        if task is None:
            return json_reply(404, _NOT_FOUND)
        detail = task.detail(task.status_at(self._clock.monotonic()))
        if self._reported_statuses:
            detail.update(status=self._reported_statuses.popleft(), generated=[])
        return json_reply(200, {"data": detail})

    def _list(self) -> Reply:
        now = self._clock.monotonic()
        listed = [
            {"task_id": task.task_id, "status": task.status_at(now)} for task in self.tasks.values()
        ]
        return json_reply(200, {"data": listed})

    def _image(self, file_name: str) -> Reply:
        task = (
            self.tasks.get(file_name.removesuffix(".png")) if file_name.endswith(".png") else None
        )
        if task is None or task.status_at(self._clock.monotonic()) != "COMPLETED":
            return json_reply(404, _NOT_FOUND)
        width, height = image_size(task.aspect_ratio, task.resolution, scale=self._image_scale)
        png = png_bytes(width, height, min_bytes=self._image_min_bytes)
        return bytes_reply(200, png, content_type="image/png")


def _invalid(problems: list[dict[str, str]]) -> Reply:
    return json_reply(
        400,
        {"message": _INVALID_BODY_MESSAGE, "invalid_params": problems},
        content_type="application/problem+json",
    )
