"""Fixtures for the receiver's tests: signed deliveries, a recording watcher, servers on loopback.

The ASGI app runs under a real uvicorn in a thread (port 0, the bound port read from its
sockets, stopped with `should_exit`); the WSGI app under `wsgiref`, the CLI's own server.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from nano_banana_pro import Task, _watching, webhooks
from nano_banana_pro.receiver import WebhookReceiver
from nano_banana_pro.testing import serve_asgi

SECRET = "whsec_cmVjZWl2ZXItdGVzdHMtc2VjcmV0"
TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"


def payload(status: str, *, task_id: str = TASK_ID, generated: list[str] | None = None) -> bytes:
    """A delivery's raw body, as the service sends it."""
    body = {"task_id": task_id, "status": status, "generated": generated or []}
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def signed(
    body: bytes,
    *,
    webhook_id: str | None = None,
    age: float = 0.0,
    secret: str = SECRET,
) -> dict[str, str]:
    """The headers of `body` signed with `secret`, `age` seconds ago."""
    return {
        "content-type": "application/json",
        **webhooks.sign(
            body,
            secret=secret,
            webhook_id=webhook_id or f"msg_{uuid.uuid4().hex}",
            timestamp=int(time.time() - age),
        ),
    }


class RecordingWatcher:
    """A client's watcher, as `_watching` sees one: it records the tasks delivered to it."""

    def __init__(self) -> None:
        self.delivered: list[Task] = []
        self._lock = threading.Lock()

    def deliver(self, task: Task) -> None:
        with self._lock:
            self.delivered.append(task)

    def statuses(self) -> list[str]:
        return [str(task.status) for task in self.delivered]


@pytest.fixture
def watcher() -> RecordingWatcher:
    """Registered with `_watching` for the test (weakly: the fixture keeps it alive)."""
    recording = RecordingWatcher()
    _watching.register_watcher(recording)
    return recording


class Seen:
    """An `on_task` that records every task it is called with (from any thread)."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self._lock = threading.Lock()

    def __call__(self, task: Task) -> None:
        with self._lock:
            self.tasks.append(task)

    def statuses(self) -> list[str]:
        return [str(task.status) for task in self.tasks]


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def receiver(seen: Seen) -> WebhookReceiver:
    return WebhookReceiver(secret=SECRET, on_task=seen)


@contextlib.contextmanager
def uvicorn_serving(receiver: WebhookReceiver) -> Iterator[str]:
    """Serve the ASGI app with uvicorn on 127.0.0.1 (any free port); yield its URL."""
    with serve_asgi(receiver) as base_url:
        yield f"{base_url}/hooks/magnific"
