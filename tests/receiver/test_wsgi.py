"""The WSGI app under a real WSGI server (`wsgiref`, threaded: the CLI's own `serve_wsgi`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from nano_banana_pro.cli._listen import serve_wsgi
from nano_banana_pro.receiver import WebhookReceiver
from nano_banana_pro.testing import post_webhook
from tests.receiver.conftest import RecordingWatcher, Seen, payload, signed
from tests.receiver.test_asgi import run_task


@pytest.fixture
def url(receiver: WebhookReceiver) -> Iterator[str]:
    with serve_wsgi(receiver.wsgi, host="127.0.0.1", port=0) as (host, port):
        yield f"http://{host}:{port}/any/path"


def test_the_fakes_deliveries_reach_on_task_and_the_watchers(
    url: str, seen: Seen, watcher: RecordingWatcher
) -> None:
    fake, task_id = run_task(url, post_webhook)

    assert [delivery.error for delivery in fake.webhook_deliveries] == [None, None]
    assert seen.statuses() == ["IN_PROGRESS", "COMPLETED"]
    assert watcher.delivered == seen.tasks
    assert {task.task_id for task in seen.tasks} == {task_id}


def test_a_duplicate_over_http_is_200_and_handled_once(url: str, seen: Seen) -> None:
    body = payload("COMPLETED")
    headers = signed(body)
    first, second = (httpx.post(url, content=body, headers=headers) for _ in range(2))
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"message": "duplicate: already accepted"}
    assert seen.statuses() == ["COMPLETED"]


def test_refusals_over_http(url: str, seen: Seen) -> None:
    got = httpx.get(url)
    assert (got.status_code, got.headers["allow"]) == (405, "POST")
    assert httpx.post(url, content=b"x" * (1024 * 1024 + 1)).status_code == 413
    unsigned = httpx.post(url, content=payload("COMPLETED"))
    assert unsigned.status_code == 400
    assert "missing header(s)" in unsigned.json()["message"]
    assert seen.tasks == []


def call(receiver: WebhookReceiver, environ: dict[str, Any]) -> tuple[str, bytes]:
    """Call the WSGI app directly; its status line and body."""
    started: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append(status)

    body = b"".join(receiver.wsgi(environ, start_response))
    return started[0], body


def environ_of(body: bytes, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "wsgi.input": io.BytesIO(body), **extra}
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def test_a_body_ended_by_the_server_is_read_without_a_length(
    receiver: WebhookReceiver, seen: Seen
) -> None:
    body = payload("COMPLETED")
    status, _ = call(receiver, environ_of(body, signed(body), **{"wsgi.input_terminated": True}))
    assert status == "200 OK"
    assert seen.statuses() == ["COMPLETED"]


@pytest.mark.parametrize("length", [None, "", "not a number", "-5"])
def test_without_a_usable_length_nothing_is_read(
    receiver: WebhookReceiver, seen: Seen, length: str | None
) -> None:
    body = payload("COMPLETED")
    environ = environ_of(body, signed(body))
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    status, _ = call(receiver, environ)
    assert status == "400 Bad Request"  # the empty body is not what was signed
    assert seen.tasks == []


def test_a_connection_broken_mid_body_is_answered_400(receiver: WebhookReceiver) -> None:
    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise ConnectionResetError("reset by peer")

    status, body = call(
        receiver, {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "10", "wsgi.input": Broken()}
    )
    assert status == "400 Bad Request"
    assert b"could not be read" in body
