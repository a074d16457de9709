"""B7's real-time half: from a delivery leaving the service to the wait it ends returning.

The fake serves on 127.0.0.1 on the real clock and POSTs its signed deliveries (over one
kept-alive connection) to a `WebhookReceiver` served by uvicorn in a thread;
`AsyncNanoBananaPro` waits on tasks created with that receiver's URL. A latency is the time
from the fake starting to send a task's COMPLETED delivery to `wait` returning that task: the
loopback POST, the signature check, the hand-over to the client's loop and the wake-up, all
included.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx

from nano_banana_pro import AsyncNanoBananaPro
from nano_banana_pro.clock import SystemClock
from nano_banana_pro.receiver import WebhookReceiver
from nano_banana_pro.testing import DEFAULT_WEBHOOK_SECRET, FakeMagnific, Schedule, serve_asgi

#: Tasks waited on at once; small enough that the client's request budget never holds one up.
_AT_ONCE = 10
_SEND_TIMEOUT_SECONDS = 10.0


class _TimedSender:
    """A webhook sender that notes when each task's COMPLETED delivery starts, then POSTs it.

    One kept-alive httpx client, as a service's delivery workers keep: `post_webhook` opens a
    client (and its TLS context) per delivery, which would time the sender rather than us.
    """

    def __init__(self, http: httpx.Client) -> None:
        self.completed_sent: dict[str, float] = {}
        self._lock = threading.Lock()
        self._http = http

    def __call__(self, url: str, headers: dict[str, str], body: bytes) -> None:
        detail = json.loads(body)
        if detail["status"] == "COMPLETED":
            with self._lock:
                self.completed_sent[detail["task_id"]] = time.monotonic()
        self._http.post(url, content=body, headers=headers).raise_for_status()


def delivery_latencies(count: int) -> list[float]:
    """Seconds from each COMPLETED delivery's sending to its wait's return, for `count` tasks."""
    http = httpx.Client(timeout=_SEND_TIMEOUT_SECONDS)
    sender = _TimedSender(http)
    fake = FakeMagnific(
        clock=SystemClock(),
        schedule=Schedule(in_progress_after=0.1, complete_after=0.6),
        webhook_sender=sender,
    )
    returned: dict[str, float] = {}

    async def wait_for_all(base_url: str, hook_url: str) -> None:
        async with AsyncNanoBananaPro(api_key="test-key", base_url=base_url) as client:

            async def one(index: int) -> None:
                task = await client.create(f"Latency raccoon {index}", webhook_url=hook_url)
                done = await client.wait(task)
                returned[done.task_id] = time.monotonic()

            for start in range(0, count, _AT_ONCE):
                await asyncio.gather(*(one(i) for i in range(start, min(count, start + _AT_ONCE))))

    with (
        http,
        serve_asgi(WebhookReceiver(secret=DEFAULT_WEBHOOK_SECRET)) as hook_url,
        fake.serve() as base_url,
    ):
        asyncio.run(wait_for_all(base_url, hook_url))
    return [returned[task_id] - sent for task_id, sent in sender.completed_sent.items()]
