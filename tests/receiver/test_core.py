"""The receiver's one core, `handle(method, headers, body)`: every answer it gives, and why."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid

import pytest

import nano_banana_pro
from nano_banana_pro import InvalidRequestError, Task, TaskStatus
from nano_banana_pro.receiver import MAX_BODY_BYTES, WebhookReceiver, WebhookReply
from tests.receiver.conftest import SECRET, TASK_ID, RecordingWatcher, Seen, payload, signed


def message(reply: WebhookReply) -> str:
    parsed: dict[str, str] = json.loads(reply.body)
    assert list(parsed) == ["message"]
    return parsed["message"]


def test_a_verified_delivery_reaches_on_task_then_the_watchers(
    receiver: WebhookReceiver, seen: Seen, watcher: RecordingWatcher
) -> None:
    body = payload("COMPLETED", generated=["https://ai-statics.freepik.com/a.jpg"])

    reply = receiver.handle("POST", signed(body), body)

    assert (reply.status, message(reply)) == (200, "accepted")
    assert ("content-type", "application/json") in reply.headers
    assert seen.tasks == [
        Task(
            task_id=TASK_ID,
            status=TaskStatus.COMPLETED,
            generated=("https://ai-statics.freepik.com/a.jpg",),
        )
    ]
    assert watcher.delivered == seen.tasks


def test_the_watchers_are_fed_without_a_handler(watcher: RecordingWatcher) -> None:
    body = payload("IN_PROGRESS")
    reply = WebhookReceiver(secret=SECRET).handle("POST", signed(body), body)
    assert reply.status == 200
    assert watcher.statuses() == ["IN_PROGRESS"]


def test_header_names_match_in_any_case(receiver: WebhookReceiver, seen: Seen) -> None:
    body = payload("IN_PROGRESS")
    headers = {name.upper(): value for name, value in signed(body).items()}
    assert receiver.handle("POST", headers, body).status == 200
    assert seen.statuses() == ["IN_PROGRESS"]


@pytest.mark.parametrize(
    ("headers_of", "reason"),
    [
        (lambda body: signed(body, secret="another-secret"), "no webhook-signature matches"),
        (lambda body: signed(body, age=301), "beyond the 300s tolerance"),
        (lambda body: signed(body, age=-301), "in the future"),
        (lambda body: {}, "missing header(s): webhook-id, webhook-timestamp, webhook-signature"),
        (
            lambda body: {**signed(body), "webhook-signature": "garbage"},
            "malformed webhook-signature",
        ),
    ],
    ids=["bad signature", "stale", "from the future", "no headers", "malformed signature"],
)
def test_a_delivery_that_fails_verification_is_refused_with_400_and_its_reason(
    receiver: WebhookReceiver,
    seen: Seen,
    watcher: RecordingWatcher,
    headers_of: object,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = payload("COMPLETED")
    assert callable(headers_of)
    with caplog.at_level(logging.WARNING, logger="nano_banana_pro"):
        reply = receiver.handle("POST", headers_of(body), body)
    assert reply.status == 400
    assert reason in message(reply)
    assert seen.tasks == []
    assert watcher.delivered == []
    assert reason in caplog.text
    assert SECRET not in caplog.text + message(reply)


def test_a_signed_body_that_is_not_a_task_is_refused(receiver: WebhookReceiver) -> None:
    body = b'{"task_id": null, "status": "COMPLETED", "generated": []}'
    reply = receiver.handle("POST", signed(body), body)
    assert reply.status == 400
    assert message(reply) == (
        "the signature is valid but the body is not a task: "
        "body.task_id: Expected string, received null"
    )


def test_a_long_body_is_never_echoed(receiver: WebhookReceiver) -> None:
    body = json.dumps({"task_id": "x" * 5000, "status": "y" * 5000, "generated": []}).encode()
    reply = receiver.handle("POST", signed(body), body)
    assert reply.status == 400
    assert len(reply.body) < 400
    assert "xxxxxxxxxx" not in message(reply)


def test_a_tolerance_of_none_accepts_an_old_delivery(seen: Seen) -> None:
    body = payload("COMPLETED")
    receiver = WebhookReceiver(secret=SECRET, tolerance=None, on_task=seen)
    assert receiver.handle("POST", signed(body, age=86_400), body).status == 200


def test_a_duplicate_id_is_answered_200_without_calling_on_task_again(
    receiver: WebhookReceiver, seen: Seen, watcher: RecordingWatcher
) -> None:
    body = payload("IN_PROGRESS")
    headers = signed(body, webhook_id="msg_1")

    first, second = (receiver.handle("POST", headers, body) for _ in range(2))

    assert (first.status, second.status) == (200, 200)
    assert message(second) == "duplicate: already accepted"
    assert seen.statuses() == ["IN_PROGRESS"]
    assert watcher.statuses() == ["IN_PROGRESS"]


def test_only_the_most_recent_ids_are_remembered(seen: Seen) -> None:
    receiver = WebhookReceiver(secret=SECRET, on_task=seen, remember=2)
    deliveries = {
        webhook_id: (body, signed(body, webhook_id=webhook_id))
        for webhook_id, body in (
            ("msg_1", payload("IN_PROGRESS", task_id=str(uuid.UUID(int=1)))),
            ("msg_2", payload("IN_PROGRESS", task_id=str(uuid.UUID(int=2)))),
            ("msg_3", payload("IN_PROGRESS", task_id=str(uuid.UUID(int=3)))),
        )
    }

    def send(*webhook_ids: str) -> None:
        for webhook_id in webhook_ids:
            body, headers = deliveries[webhook_id]
            assert receiver.handle("POST", headers, body).status == 200

    send("msg_1", "msg_2", "msg_1", "msg_3")  # msg_1 seen again: kept; msg_2 forgotten
    assert len(seen.tasks) == 3
    send("msg_2", "msg_3")
    assert [task.task_id[-1] for task in seen.tasks] == ["1", "2", "3", "2"]


def test_a_non_final_status_after_the_final_one_is_stale(
    receiver: WebhookReceiver, seen: Seen, watcher: RecordingWatcher
) -> None:
    completed, in_progress = payload("COMPLETED"), payload("IN_PROGRESS")
    assert receiver.handle("POST", signed(completed), completed).status == 200

    late = receiver.handle("POST", signed(in_progress), in_progress)

    assert (late.status, message(late)) == (200, "stale: the task has already ended")
    assert seen.statuses() == ["COMPLETED"]
    assert watcher.statuses() == ["COMPLETED"]


def test_a_handler_that_raises_gets_500_and_the_retry_is_processed(
    watcher: RecordingWatcher, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[Task] = []

    def flaky(task: Task) -> None:
        calls.append(task)
        if len(calls) == 1:
            raise RuntimeError("database down")

    receiver = WebhookReceiver(secret=SECRET, on_task=flaky)
    body = payload("COMPLETED")
    headers = signed(body, webhook_id="msg_retried")
    with caplog.at_level(logging.WARNING, logger="nano_banana_pro"):
        failed = receiver.handle("POST", headers, body)
    assert failed.status == 500
    assert "database down" not in message(failed)
    assert "database down" in caplog.text  # the traceback is logged for the app's owner
    assert watcher.delivered == []  # a wait completes after the handler has taken the task

    retried = receiver.handle("POST", headers, body)

    assert (retried.status, len(calls)) == (200, 2)
    assert watcher.statuses() == ["COMPLETED"]


def test_a_delivery_being_processed_is_answered_409_to_its_twin(watcher: RecordingWatcher) -> None:
    entered, release = threading.Event(), threading.Event()
    replies: list[WebhookReply] = []

    def slow(task: Task) -> None:
        entered.set()
        release.wait(5)

    receiver = WebhookReceiver(secret=SECRET, on_task=slow)
    body = payload("COMPLETED")
    headers = signed(body, webhook_id="msg_twin")
    first = threading.Thread(target=lambda: replies.append(receiver.handle("POST", headers, body)))
    first.start()
    assert entered.wait(5)

    twin = receiver.handle("POST", headers, body)
    release.set()
    first.join(5)

    assert twin.status == 409
    assert [reply.status for reply in replies] == [200]
    assert watcher.statuses() == ["COMPLETED"]


def test_an_async_handler_outside_the_asgi_app_is_a_500(watcher: RecordingWatcher) -> None:
    async def on_task(task: Task) -> None:
        await asyncio.sleep(0)

    body = payload("COMPLETED")
    reply = WebhookReceiver(secret=SECRET, on_task=on_task).handle("POST", signed(body), body)
    assert reply.status == 500
    assert watcher.delivered == []


@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD", "OPTIONS"])
def test_only_post_is_allowed(receiver: WebhookReceiver, method: str) -> None:
    reply = receiver.handle(method, {}, b"")
    assert reply.status == 405
    assert ("allow", "POST") in reply.headers


def test_a_body_over_the_limit_is_refused_with_413(receiver: WebhookReceiver, seen: Seen) -> None:
    body = payload("COMPLETED").ljust(MAX_BODY_BYTES + 1)
    assert receiver.handle("POST", signed(body), body).status == 413
    small = WebhookReceiver(secret=SECRET, max_body_bytes=10)
    assert small.handle("POST", {}, b"x" * 11).status == 413
    assert seen.tasks == []


def test_a_watcher_that_fails_does_not_fail_the_delivery(
    receiver: WebhookReceiver, seen: Seen, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(task: Task) -> None:
        raise RuntimeError("a watcher's bug")

    monkeypatch.setattr("nano_banana_pro._watching.deliver", broken)
    body = payload("COMPLETED")
    assert receiver.handle("POST", signed(body), body).status == 200
    assert seen.statuses() == ["COMPLETED"]


def test_a_bug_inside_is_answered_500_never_raised(
    receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> Task:
        raise KeyError("a bug")

    monkeypatch.setattr("nano_banana_pro.webhooks.unwrap", broken)
    body = payload("COMPLETED")
    reply = receiver.handle("POST", signed(body), body)
    assert (reply.status, message(reply)) == (500, "the receiver failed; send the delivery again")
    assert "the webhook receiver failed" in caplog.text


def test_the_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, seen: Seen) -> None:
    monkeypatch.setenv("MAGNIFIC_WEBHOOK_SECRET", SECRET)
    receiver = WebhookReceiver(on_task=seen)
    body = payload("COMPLETED")
    assert receiver.handle("POST", signed(body), body).status == 200
    assert SECRET not in repr(receiver)


def test_no_secret_or_bad_bounds_are_refused_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGNIFIC_WEBHOOK_SECRET", raising=False)
    with pytest.raises(InvalidRequestError, match="MAGNIFIC_WEBHOOK_SECRET"):
        WebhookReceiver()
    with pytest.raises(InvalidRequestError, match="remember"):
        WebhookReceiver(secret=SECRET, remember=0)
    with pytest.raises(InvalidRequestError, match="max_body_bytes"):
        WebhookReceiver(secret=SECRET, max_body_bytes=0)


def test_it_is_exported_lazily() -> None:
    assert "WebhookReceiver" in nano_banana_pro.__all__
    assert nano_banana_pro.WebhookReceiver is WebhookReceiver
