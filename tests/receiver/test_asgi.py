"""The ASGI app under a real uvicorn, fed by the fake's signed deliveries over loopback.

Each test creates a task on the fake with `webhook_url` pointing at the receiver and moves the
fake's virtual clock: the fake sends a signed delivery per status change, through a sender that
loses, duplicates, reorders or delays some of them.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import httpx
import pytest

from nano_banana_pro import NanoBananaProError, Task, webhooks
from nano_banana_pro.receiver import WebhookReceiver
from nano_banana_pro.testing import (
    FakeMagnific,
    Schedule,
    WebhookSender,
    post_webhook,
    serve_asgi,
)
from tests.fake.helpers import BASE_URL, KEY, create
from tests.receiver.conftest import (
    SECRET,
    RecordingWatcher,
    Seen,
    payload,
    signed,
    uvicorn_serving,
)

#: IN_PROGRESS at 1 s, COMPLETED at 5 s, on the fake's virtual clock.
SCHEDULE = Schedule(in_progress_after=1.0, complete_after=5.0)


@pytest.fixture
def url(receiver: WebhookReceiver) -> Iterator[str]:
    with uvicorn_serving(receiver) as served:
        yield served


def run_task(url: str, sender: WebhookSender) -> tuple[FakeMagnific, str]:
    """Create a task reporting to `url`, and let it run to completion (both deliveries sent)."""
    fake = FakeMagnific(webhook_secret=SECRET, webhook_sender=sender, schedule=SCHEDULE)
    with httpx.Client(
        base_url=BASE_URL, headers={"x-magnific-api-key": KEY}, transport=fake.transport()
    ) as api:
        task_id = create(api, webhook_url=url)
    fake.advance(1)
    fake.advance(4)
    return fake, task_id


def answers(into: list[int]) -> WebhookSender:
    """`post_webhook`, recording each answer's status (and raising on a refusal, as it does)."""

    def send(url: str, headers: dict[str, str], body: bytes) -> None:
        response = httpx.post(url, content=body, headers=headers)
        into.append(response.status_code)
        response.raise_for_status()

    return send


def test_each_status_reaches_on_task_and_the_watchers_once(
    url: str, seen: Seen, watcher: RecordingWatcher
) -> None:
    fake, task_id = run_task(url, post_webhook)

    assert [delivery.error for delivery in fake.webhook_deliveries] == [None, None]
    assert seen.statuses() == ["IN_PROGRESS", "COMPLETED"]
    assert {task.task_id for task in seen.tasks} == {task_id}
    assert seen.tasks[1].generated == (f"{BASE_URL}/_fake/images/{task_id}.png",)
    assert watcher.delivered == seen.tasks


def test_a_lost_delivery_is_simply_missing(url: str, seen: Seen, watcher: RecordingWatcher) -> None:
    def lossy(url: str, headers: dict[str, str], body: bytes) -> None:
        if b'"IN_PROGRESS"' not in body:  # the IN_PROGRESS one never arrives
            post_webhook(url, headers, body)

    run_task(url, lossy)

    assert seen.statuses() == ["COMPLETED"]
    assert watcher.statuses() == ["COMPLETED"]


def test_a_duplicated_delivery_is_accepted_twice_and_handled_once(
    url: str, seen: Seen, watcher: RecordingWatcher
) -> None:
    statuses: list[int] = []
    send = answers(statuses)

    def twice(url: str, headers: dict[str, str], body: bytes) -> None:
        send(url, headers, body)
        send(url, headers, body)

    run_task(url, twice)

    assert statuses == [200, 200, 200, 200]
    assert seen.statuses() == ["IN_PROGRESS", "COMPLETED"]
    assert watcher.statuses() == ["IN_PROGRESS", "COMPLETED"]


def test_a_delivery_reordered_after_the_final_one_is_not_handled(
    url: str, seen: Seen, watcher: RecordingWatcher
) -> None:
    held: list[tuple[str, dict[str, str], bytes]] = []

    def reordering(url: str, headers: dict[str, str], body: bytes) -> None:
        if b'"IN_PROGRESS"' in body:
            held.append((url, headers, body))  # overtaken by the COMPLETED one
            return
        post_webhook(url, headers, body)
        for delivery in held:
            post_webhook(*delivery)

    run_task(url, reordering)

    assert len(held) == 1
    assert seen.statuses() == ["COMPLETED"]
    assert watcher.statuses() == ["COMPLETED"]


@pytest.mark.parametrize(
    ("delay", "accepted"), [(240, True), (360, False)], ids=["within", "beyond the tolerance"]
)
def test_a_late_delivery_is_accepted_only_within_the_tolerance(
    url: str, seen: Seen, delay: int, accepted: bool
) -> None:
    def late(url: str, headers: dict[str, str], body: bytes) -> None:
        """Sent `delay` seconds after it was signed (queued at the service, say)."""
        stamp = int(time.time()) - delay
        post_webhook(
            url,
            webhooks.sign(body, secret=SECRET, webhook_id=headers["webhook-id"], timestamp=stamp),
            body,
        )

    fake, _ = run_task(url, late)

    errors = [delivery.error for delivery in fake.webhook_deliveries]
    if accepted:
        assert errors == [None, None]
        assert seen.statuses() == ["IN_PROGRESS", "COMPLETED"]
    else:
        assert all(error is not None and "400 Bad Request" in error for error in errors)
        assert seen.tasks == []


def test_a_handler_failure_is_retried_by_the_sender(seen: Seen) -> None:
    failures = iter([RuntimeError("busy")])

    def flaky(task: Task) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        seen(task)

    statuses: list[int] = []
    send = answers(statuses)

    def retrying(url: str, headers: dict[str, str], body: bytes) -> None:
        try:
            send(url, headers, body)
        except httpx.HTTPStatusError:
            send(url, headers, body)

    with uvicorn_serving(WebhookReceiver(secret=SECRET, on_task=flaky)) as url:
        run_task(url, retrying)

    assert statuses == [500, 200, 200]
    assert seen.statuses() == ["IN_PROGRESS", "COMPLETED"]


def test_an_async_handler_is_awaited_on_the_servers_loop(watcher: RecordingWatcher) -> None:
    loops: list[threading.Thread] = []
    seen: list[str] = []

    async def on_task(task: Task) -> None:
        await asyncio.sleep(0)
        loops.append(threading.current_thread())
        seen.append(str(task.status))

    with uvicorn_serving(WebhookReceiver(secret=SECRET, on_task=on_task)) as url:
        run_task(url, post_webhook)

    assert seen == ["IN_PROGRESS", "COMPLETED"]
    assert len(set(loops)) == 1
    assert loops[0] is not threading.current_thread()
    assert watcher.statuses() == ["IN_PROGRESS", "COMPLETED"]


@pytest.mark.parametrize(
    ("request_of", "status"),
    [
        (lambda url: httpx.get(url), 405),
        (lambda url: httpx.post(url, content=b"x" * (1024 * 1024 + 1)), 413),
        (lambda url: httpx.post(url, content=b"{}"), 400),
    ],
    ids=["GET", "oversize", "unsigned"],
)
def test_refusals_over_http(
    url: str, seen: Seen, request_of: Callable[[str], httpx.Response], status: int
) -> None:
    response = request_of(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"message"}
    if status == 405:
        assert response.headers["allow"] == "POST"
    assert seen.tasks == []


def call_asgi(
    receiver: WebhookReceiver, scope: dict[str, Any], messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Call the ASGI app directly with `messages` to receive; what it sent."""
    incoming = iter(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return next(incoming)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(receiver(scope, receive, send))
    return sent


def test_the_lifespan_protocol_is_answered(receiver: WebhookReceiver) -> None:
    sent = call_asgi(
        receiver,
        {"type": "lifespan"},
        [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
    )
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]


def test_a_websocket_is_refused(receiver: WebhookReceiver) -> None:
    sent = call_asgi(receiver, {"type": "websocket"}, [{"type": "websocket.connect"}])
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_a_body_in_chunks_is_joined_and_a_disconnect_answers_nothing(
    receiver: WebhookReceiver, seen: Seen
) -> None:
    body = payload("COMPLETED")
    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(name.encode(), value.encode()) for name, value in signed(body).items()],
    }
    chunks = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.request", "body": body[10:], "more_body": False},
    ]
    sent = call_asgi(receiver, scope, chunks)
    assert sent[0]["status"] == 200
    assert seen.statuses() == ["COMPLETED"]

    assert call_asgi(receiver, scope, [chunks[0], {"type": "http.disconnect"}]) == []


def test_serve_asgi_without_uvicorn_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, receiver: WebhookReceiver
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed: import fails
    with pytest.raises(NanoBananaProError, match="pip install uvicorn"), serve_asgi(receiver):
        pass


def test_serve_asgi_stops_its_server_when_the_block_ends(receiver: WebhookReceiver) -> None:
    with serve_asgi(receiver) as base_url:
        assert httpx.get(f"{base_url}/hooks").status_code == 405  # served: POST only
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/hooks")
