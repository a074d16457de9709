"""What a hostile or broken server sends on the wire: trickles, odd encodings, deep JSON,
another task's answer, the key echoed back. Sync and async, over real sockets on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nano_banana_pro._async.download
import nano_banana_pro._sync.download
from nano_banana_pro import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    DownloadError,
    NotFoundError,
    ServerError,
    Task,
    TaskStatus,
    WaitTimeoutError,
)
from nano_banana_pro.clock import SystemClock
from nano_banana_pro.testing import API_PATH
from tests.reliability.conftest import API_KEY, TASK_ID, LeakGuard
from tests.reliability.faults import IMAGE
from tests.reliability.rawserver import Action, RawRequest, RawServer, respond, response_bytes

IN_PROGRESS = {"data": {"task_id": TASK_ID, "status": "IN_PROGRESS", "generated": []}}
NESTED = b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def trickle(data: bytes, *, every: float, head: int = 0) -> Action:
    """Send the first `head` bytes at once, then the rest a byte every `every` seconds."""

    def act(connection: socket.socket, stopping: threading.Event) -> bool:
        connection.sendall(data[:head])
        for index in range(head, len(data)):
            if stopping.wait(every):
                return False
            try:
                connection.sendall(data[index : index + 1])
            except OSError:  # the client gave up
                return False
        return True

    return act


def serve(answer: Callable[[RawRequest], Action]) -> RawServer:
    return RawServer(answer)


def client(make_client: Callable[..., Any], server: RawServer, **options: Any) -> Any:
    options = {"base_url": server.base_url, "rate_limit": None, **options}
    return make_client(**options)


# --- 1. a deadline is wall-clock, whatever the server does ------------------------------------


@pytest.mark.parametrize("what", ["body", "headers"])
def test_a_trickling_poll_cannot_stretch_a_wait(make_client: Callable[..., Any], what: str) -> None:
    data = response_bytes(200, json.dumps(IN_PROGRESS).encode())
    head = data.index(b"\r\n\r\n") + 4 if what == "body" else 0
    with serve(lambda request: trickle(data, every=0.2, head=head)) as server:
        started = time.monotonic()
        with pytest.raises(WaitTimeoutError) as caught:
            client(make_client, server, clock=SystemClock()).wait(TASK_ID, wait_timeout=1.5)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0, f"the wait lasted {elapsed:.1f}s"
    assert caught.value.task_id == TASK_ID
    assert isinstance(caught.value.__cause__, APITimeoutError)


def test_a_trickling_answer_cannot_stretch_a_call(make_client: Callable[..., Any]) -> None:
    data = response_bytes(200, json.dumps(IN_PROGRESS).encode())
    with serve(lambda request: trickle(data, every=0.2, head=40)) as server:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client(make_client, server, clock=SystemClock(), timeout=1.0, max_retries=0).get(
                TASK_ID
            )
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"the call lasted {elapsed:.1f}s"


def test_a_trickling_image_cannot_stretch_a_download(
    make_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for module in (nano_banana_pro._sync.download, nano_banana_pro._async.download):
        monkeypatch.setattr(module, "DOWNLOAD_DEADLINE", 1.0)
    data = response_bytes(200, IMAGE, content_type="image/png")
    with serve(lambda request: trickle(data, every=0.2, head=60)) as server:
        task = Task(
            task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(server.base_url + "/i.png",)
        )
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client(make_client, server, clock=SystemClock(), max_retries=0).download(task, tmp_path)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"the download lasted {elapsed:.1f}s"
    assert list(tmp_path.iterdir()) == []


# --- 2. no Python or httpx exception escapes --------------------------------------------------


@pytest.mark.parametrize("operation", ["get", "list"])
def test_deeply_nested_json_in_a_200_is_a_typed_error(
    make_client: Callable[..., Any], operation: str
) -> None:
    with serve(lambda request: respond(200, NESTED)) as server:
        api = client(make_client, server)
        with pytest.raises(APIResponseValidationError, match="nested too deeply") as caught:
            api.get(TASK_ID) if operation == "get" else api.list()
    assert caught.value.task_id == (TASK_ID if operation == "get" else None)


def test_deeply_nested_json_in_an_error_body_is_a_typed_error(
    make_client: Callable[..., Any],
) -> None:
    with (
        serve(lambda request: respond(500, NESTED)) as server,
        pytest.raises(ServerError) as caught,
    ):
        client(make_client, server, max_retries=0).get(TASK_ID)
    assert caught.value.status_code == 500
    assert len(str(caught.value)) < 1000


@pytest.mark.parametrize("operation", ["get", "list", "error"])
def test_a_body_that_is_not_the_gzip_it_claims_is_a_typed_error(
    make_client: Callable[..., Any], operation: str
) -> None:
    status = 500 if operation == "error" else 200
    answer = respond(status, b"this is not gzip", headers={"Content-Encoding": "gzip"})
    with serve(lambda request: answer) as server:
        api = client(make_client, server, max_retries=0)
        expected = ServerError if operation == "error" else APIResponseValidationError
        with pytest.raises(expected) as caught:
            api.list() if operation == "list" else api.get(TASK_ID)
    if operation == "get":
        assert caught.value.task_id == TASK_ID


# --- 3. downloads speak HTTP --------------------------------------------------------------------


def image_answer(body: bytes, **headers: str) -> Callable[[RawRequest], Action]:
    def answer(request: RawRequest) -> Action:
        answer.headers = request.headers  # type: ignore[attr-defined]
        return respond(200, body, content_type="image/png", headers=headers)

    return answer


def test_a_gzip_encoded_image_with_the_right_length_is_saved_decoded(
    make_client: Callable[..., Any], tmp_path: Path
) -> None:
    answer = image_answer(gzip.compress(IMAGE), **{"Content-Encoding": "gzip"})
    with serve(answer) as server:
        task = Task(
            task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(server.base_url + "/i.png",)
        )
        [path] = client(make_client, server).download(task, tmp_path)
    assert path.read_bytes() == IMAGE
    assert answer.headers["accept-encoding"] == "identity"  # type: ignore[attr-defined]


def test_an_image_cut_short_is_refused_encoded_or_not(
    make_client: Callable[..., Any], tmp_path: Path
) -> None:
    for body, headers in ((IMAGE, {}), (gzip.compress(IMAGE), {"Content-Encoding": "gzip"})):
        data = response_bytes(
            200, body, content_type="image/png", headers=headers, content_length=len(body) + 9
        )

        def answer(request: RawRequest, data: bytes = data) -> Action:
            def act(connection: socket.socket, stopping: threading.Event) -> bool:
                connection.sendall(data)
                connection.shutdown(socket.SHUT_WR)
                return False

            return act

        with serve(answer) as server:
            task = Task(
                task_id=TASK_ID,
                status=TaskStatus.COMPLETED,
                generated=(server.base_url + "/i.png",),
            )
            with pytest.raises((DownloadError, APIConnectionError)) as caught:
                client(make_client, server, max_retries=0).download(task, tmp_path)
        assert caught.value.task_id == TASK_ID
        assert list(tmp_path.iterdir()) == []


def test_an_image_that_is_not_its_gzip_is_a_download_error(
    make_client: Callable[..., Any], tmp_path: Path
) -> None:
    with serve(image_answer(b"garbage, not gzip", **{"Content-Encoding": "gzip"})) as server:
        task = Task(
            task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(server.base_url + "/i.png",)
        )
        with pytest.raises(DownloadError, match="Content-Encoding") as caught:
            client(make_client, server, max_retries=0).download(task, tmp_path)
    assert caught.value.task_id == TASK_ID
    assert list(tmp_path.iterdir()) == []


# --- 7. answers are checked against the question ------------------------------------------------


def test_an_answer_about_another_task_is_refused(make_client: Callable[..., Any]) -> None:
    other = {"data": {**IN_PROGRESS["data"], "task_id": "8d3c1f8e-2f0a-4b8e-9a51-0c7c1f0b5e22"}}
    with (
        serve(lambda request: respond(200, other)) as server,
        pytest.raises(APIResponseValidationError, match="not " + TASK_ID) as caught,
    ):
        client(make_client, server).get(TASK_ID)
    assert caught.value.task_id == TASK_ID


def test_a_task_id_is_kept_exactly_as_sent(make_client: Callable[..., Any]) -> None:
    upper = TASK_ID.upper()
    answer = {"data": {**IN_PROGRESS["data"], "task_id": upper}}
    with serve(lambda request: respond(200, answer)) as server:
        task = client(make_client, server).get(upper)
    assert task.task_id == upper
    assert task.raw["task_id"] == upper


def endless_body(status: int) -> Action:
    """A chunked body that never ends (until the client hangs up)."""

    def act(connection: socket.socket, stopping: threading.Event) -> bool:
        head = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
        connection.sendall(f"{head}transfer-encoding: chunked\r\n\r\n".encode())
        chunk = b"[" * 65536
        while not stopping.is_set():
            try:
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:  # the client gave up: as it should
                return False
        return False

    return act


@pytest.mark.parametrize("status", [200, 500])
@pytest.mark.parametrize("op", ["create", "list"])
def test_an_endless_answer_is_refused_at_its_limit_not_read_into_memory(
    make_client: Callable[..., Any], leak_guard: LeakGuard, status: int, op: str
) -> None:
    with serve(lambda request: endless_body(status)) as server:
        api = client(make_client, server)
        started = time.monotonic()
        expected = APIResponseValidationError if status == 200 else ServerError  # the status's
        with pytest.raises(expected, match="a body over 67108864 bytes"):
            api.create("A raccoon") if op == "create" else api.list()
    assert time.monotonic() - started < 20  # stopped at 64 MiB, long before the 30 s deadline
    # A create is never sent again (it may have made the task); a list is retried on a 5xx.
    assert len(server.requests) == (3 if op == "list" and status >= 500 else 1)
    leak_guard.assert_clean(api)


# --- 8. a key the server echoes back is still secret ----------------------------------------


def test_a_key_echoed_in_an_error_body_is_masked(
    make_client: Callable[..., Any], leak_guard: LeakGuard
) -> None:
    body = {"message": f"Invalid API key {API_KEY}", "detail": {"key": API_KEY}}
    with serve(lambda request: respond(401, body)) as server:
        api = client(make_client, server)
        with pytest.raises(AuthenticationError) as caught:
            api.list()
    assert "Invalid API key ***" in str(caught.value)
    assert API_KEY not in json.dumps(caught.value.body)
    leak_guard.assert_clean(caught.value, api)


def test_a_key_echoed_in_a_retried_error_stays_out_of_the_retry_log(
    make_client: Callable[..., Any], leak_guard: LeakGuard
) -> None:
    answers = iter([respond(503, {"message": f"busy, {API_KEY}"}), respond(200, IN_PROGRESS)])
    with serve(lambda request: next(answers)) as server:
        api = client(make_client, server)
        api.get(TASK_ID)
    assert leak_guard.debug_records() > 0
    leak_guard.assert_clean(api)


@pytest.mark.parametrize("op", ["create", "get", "list"])
def test_a_key_echoed_in_a_task_is_masked_wherever_the_task_goes(
    make_client: Callable[..., Any], leak_guard: LeakGuard, op: str
) -> None:
    escaped = "".join(f"\\u{ord(character):04x}" for character in API_KEY)  # JSON spells it
    echoed = {
        "task_id": TASK_ID,
        "status": API_KEY,
        "generated": [f"https://images.example/x.png?sig={API_KEY}", "https://i.example/{}"],
        "note": {API_KEY: [API_KEY]},
    }
    data = json.dumps({"data": [echoed] if op == "list" else echoed})
    raw = data.replace("{}", escaped).encode()  # the second URL holds the key, \u-escaped
    with serve(lambda request: respond(200, raw)) as server:
        api = client(make_client, server)
        answer = {"create": lambda: api.create("A raccoon"), "get": lambda: api.get(TASK_ID)}.get(
            op, api.list
        )()
    tasks = answer if op == "list" else [answer]
    assert [task.task_id for task in tasks] == [TASK_ID]
    for task in tasks:
        assert API_KEY not in json.dumps(task.raw)
        assert "***" in str(task.status)
    leak_guard.assert_clean(api, *tasks)


def test_a_key_spelled_only_in_json_escapes_is_masked_too(
    make_client: Callable[..., Any], leak_guard: LeakGuard
) -> None:
    escaped = "".join(f"\\u{ord(character):04x}" for character in API_KEY)
    task = {"task_id": TASK_ID, "status": "COMPLETED", "generated": ["https://i.example/KEY"]}
    raw = json.dumps({"data": task}).replace("KEY", escaped).encode()
    assert API_KEY.encode() not in raw
    with serve(lambda request: respond(200, raw)) as server:
        api = client(make_client, server)
        task = api.get(TASK_ID)
    assert task.generated == ("https://i.example/***",)
    leak_guard.assert_clean(api, task)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_key_in_a_body_json_may_encode_otherwise_is_masked_too(
    make_client: Callable[..., Any], leak_guard: LeakGuard, encoding: str
) -> None:
    task = {"task_id": TASK_ID, "status": f"IN_PROGRESS {API_KEY}", "generated": []}
    raw = json.dumps({"data": task}).encode(encoding)  # json.loads reads it all the same
    with serve(lambda request: respond(200, raw)) as server:
        api = client(make_client, server)
        got = api.get(TASK_ID)
    assert str(got.status) == "IN_PROGRESS ***"
    leak_guard.assert_clean(api, got)


def test_the_body_an_error_keeps_never_spells_the_key_in_escapes(
    make_client: Callable[..., Any], leak_guard: LeakGuard
) -> None:
    escaped = "".join(f"\\u{ord(character):04x}" for character in API_KEY)
    other = {"task_id": "8d3c1f8e-2f0a-4b8e-9a51-0c7c1f0b5e22", "status": "KEY", "generated": []}
    raw = json.dumps({"data": other}).replace("KEY", escaped).encode()
    with serve(lambda request: respond(200, raw)) as server:
        api = client(make_client, server)
        with pytest.raises(APIResponseValidationError) as caught:
            api.get(TASK_ID)  # the answer is about another task
    assert escaped not in str(caught.value.body)
    assert "***" in str(caught.value.body)
    leak_guard.assert_clean(caught.value, api)


def test_an_image_host_s_endless_error_body_is_read_up_to_the_cap(
    make_client: Callable[..., Any], leak_guard: LeakGuard, tmp_path: Path
) -> None:
    with serve(lambda request: endless_body(404)) as images:
        api = make_client(max_retries=0)
        task = Task(
            task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(f"{images.base_url}/x.png",)
        )
        started = time.monotonic()
        with pytest.raises(APIError, match="a body over 67108864 bytes"):
            api.download(task, tmp_path)
    assert time.monotonic() - started < 20
    assert list(tmp_path.iterdir()) == []
    leak_guard.assert_clean(api)


def test_a_key_the_image_host_echoes_is_masked_and_its_hint_is_the_image_hosts(
    make_client: Callable[..., Any], leak_guard: LeakGuard, tmp_path: Path
) -> None:
    with serve(lambda request: respond(404, {"message": f"gone {API_KEY}"})) as images:
        api = make_client(max_retries=0)
        task = Task(
            task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(f"{images.base_url}/x.png",)
        )
        with pytest.raises(APIError) as caught:
            api.download(task, tmp_path)
    assert not isinstance(caught.value, NotFoundError)  # an expired URL, not an unknown task
    assert "gone ***" in str(caught.value)
    assert "image host" in str(caught.value)
    assert "base_url" not in str(caught.value)
    assert "No such task" not in str(caught.value)
    leak_guard.assert_clean(caught.value, api)


def test_the_path_is_the_apis(make_client: Callable[..., Any]) -> None:
    with serve(lambda request: respond(200, IN_PROGRESS)) as server:
        client(make_client, server).get(TASK_ID)
        assert server.requests[0].path == f"{API_PATH}/{TASK_ID}"


# --- 14. an async client across event loops -----------------------------------------------------


def test_one_async_client_works_across_asyncio_runs(tmp_path: Path) -> None:
    import asyncio

    from nano_banana_pro import AsyncNanoBananaPro
    from nano_banana_pro.testing import FakeMagnific, Schedule

    fake = FakeMagnific(
        clock=SystemClock(), schedule=Schedule(in_progress_after=0.0, complete_after=0.0)
    )
    with fake.serve() as base_url:
        client = AsyncNanoBananaPro(api_key="test-key", base_url=base_url, rate_limit=None)
        for run in range(4):  # each asyncio.run() has a loop of its own
            task = asyncio.run(client.generate(f"A raccoon, run {run}"))
            asyncio.run(client.download(task, tmp_path))
        asyncio.run(client.aclose())
    assert len(list(tmp_path.glob("*.png"))) == 4


def test_a_callers_async_http_client_in_another_loop_is_a_typed_error() -> None:
    import asyncio

    import httpx

    from nano_banana_pro import AsyncNanoBananaPro, InvalidRequestError
    from nano_banana_pro.testing import FakeMagnific

    fake = FakeMagnific()
    http = httpx.AsyncClient(transport=fake.async_transport())
    client = AsyncNanoBananaPro(api_key="test-key", http_client=http, rate_limit=None)
    asyncio.run(client.list())
    with pytest.raises(InvalidRequestError, match=r"inside each asyncio\.run\(\)"):
        asyncio.run(client.list())
