"""The fake's webhooks: each status change of a task with a `webhook_url`, signed and sent."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import threading
from collections.abc import Iterator

from ..clock import Clock
from ._deliveries import WebhookDelivery, WebhookSender, deliver, webhook_body
from ._state import FakeTask

__all__ = ["WebhookPump"]

#: The longest `send_webhooks_on_time` sleeps: a delivery created meanwhile may fall due sooner.
_PUMP_STEP = 0.1
#: How often the webhook sender of `serve()` looks for new deliveries when none is due (seconds).
_IDLE = 0.05


class WebhookPump:
    """When `FakeMagnific` sends its deliveries; the state is the fake's."""

    _lock: threading.RLock
    _clock: Clock
    _epoch: float
    _webhook_secret: str
    _webhook_sender: WebhookSender | None
    #: `(clock time, order, task id, status)` of each webhook not sent yet, earliest first.
    _pending: list[tuple[float, int, str, str]]
    tasks: dict[str, FakeTask]
    webhook_deliveries: list[WebhookDelivery]

    def send_due_webhooks(self) -> None:
        """Send the deliveries whose status change has come, now (else: at the next request).

        For a fake on a clock that moves by itself (a `LoopClock`): call it when
        `next_webhook_at()` comes, so that deliveries arrive as the service would send them.
        """
        with self._lock:
            due = self._due_webhooks()
        self._send(due)

    async def send_webhooks_on_time(self) -> None:
        """Send each delivery when its status change comes, until cancelled.

        For a fake reached through `async_transport()` on the event loop's clock
        (`clock.LoopClock`, virtual time included): run it as a task beside the client.
        `serve()` sends on time by itself.
        """
        while True:
            due = self.next_webhook_at()
            wait = _PUMP_STEP if due is None else due - self._clock.monotonic()
            await asyncio.sleep(min(_PUMP_STEP, max(0.0, wait)))  # one due sooner may come
            self.send_due_webhooks()

    def next_webhook_at(self) -> float | None:
        """When the next delivery falls due, on the fake's clock; None when none is pending."""
        with self._lock:
            return self._pending[0][0] if self._pending else None

    def _due_webhooks(self) -> list[tuple[str, bytes, int]]:
        """`(url, body, unix time)` of the status changes not yet notified; marks them notified."""
        now = self._clock.monotonic()
        due = []
        while self._pending and self._pending[0][0] <= now:
            at, _, task_id, status = heapq.heappop(self._pending)
            task = self.tasks[task_id]
            assert task.webhook_url is not None  # only such tasks are pending
            due.append((task.webhook_url, webhook_body(task.detail(status)), int(self._epoch + at)))
            task.notified += 1
        return due

    def _send(self, due: list[tuple[str, bytes, int]]) -> None:
        """Sign and send deliveries, outside the lock (a sender may call the fake back)."""
        for url, body, timestamp in due:
            delivery = deliver(
                url,
                body,
                timestamp=timestamp,
                secret=self._webhook_secret,
                sender=self._webhook_sender,
            )
            with self._lock:
                self.webhook_deliveries.append(delivery)

    @contextlib.contextmanager
    def _sending_on_time(self) -> Iterator[None]:
        """A daemon thread that sends each webhook when it falls due, until the block ends."""
        stop = threading.Event()

        def send() -> None:
            while not stop.is_set():
                due = self.next_webhook_at()
                wait = _IDLE if due is None else due - self._clock.monotonic()
                if stop.wait(min(max(wait, 0.0), _IDLE)):
                    return
                self.send_due_webhooks()

        thread = threading.Thread(target=send, name="fake-magnific-webhooks", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
