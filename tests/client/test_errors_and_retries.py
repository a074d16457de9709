"""One status table, typed errors for every answer, and the retry policy (GET vs billed POST)."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pytest

from nano_banana_pro import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NanoBananaProError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from nano_banana_pro.clock import VirtualClock
from tests.client.conftest import API_KEY, TASK_ID, ScriptedServer, json_response, task_body

HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(
    ("response", "error_class", "text"),
    [
        (json_response(400, {"message": "Bad prompt"}), BadRequestError, "Bad prompt"),
        (
            json_response(401, {"message": "Invalid API key"}),
            AuthenticationError,
            "MAGNIFIC_API_KEY",
        ),
        (json_response(402, {"message": "No credits"}), PermissionDeniedError, "credits"),
        (json_response(403, {"message": "Forbidden"}), PermissionDeniedError, "Forbidden"),
        (json_response(404, {"message": "AI resource not found"}), NotFoundError, "not found"),
        (json_response(409, {"message": "Conflict"}), APIError, "Conflict"),
        (
            httpx.Response(502, text=HTML, headers={"content-type": "text/html"}),
            ServerError,
            "html",
        ),
        (httpx.Response(520, text=""), ServerError, "520"),
        (json_response(529, {"message": "Overloaded"}), ServerError, "Overloaded"),
        (httpx.Response(200, text="<html>oops</html>"), APIResponseValidationError, "JSON"),
        (httpx.Response(200, text=""), APIResponseValidationError, "JSON"),
        (json_response(200, {"task": {}}), APIResponseValidationError, "spec"),
        (
            json_response(200, {"data": {"task_id": TASK_ID, "status": None, "generated": []}}),
            APIResponseValidationError,
            "spec",
        ),
    ],
)
def test_every_answer_becomes_a_typed_error_never_a_parsing_error(
    make_client: Any,
    server: ScriptedServer,
    response: httpx.Response,
    error_class: type[Exception],
    text: str,
) -> None:
    client = make_client(max_retries=0)
    server.on("GET", response)
    with pytest.raises(error_class) as caught:
        client.get(TASK_ID)
    assert type(caught.value) is error_class
    assert text.lower() in str(caught.value).lower()
    assert caught.value.task_id == TASK_ID
    assert caught.value.status_code == response.status_code


@pytest.mark.parametrize(
    ("status", "error_class", "reason"),
    [
        (400, BadRequestError, "Bad Request"),
        (401, AuthenticationError, "Unauthorized"),
        (404, NotFoundError, "Not Found"),
        (429, RateLimitError, "Too Many Requests"),
        (500, ServerError, "Internal Server Error"),
        (503, ServerError, "Service Unavailable"),
    ],
)
def test_an_empty_error_body_is_the_typed_error_worded_by_its_reason_phrase(
    make_client: Any, server: ScriptedServer, status: int, error_class: type[APIError], reason: str
) -> None:
    # Valid upstream: the official error schemas do not require `message`.
    server.on("GET", json_response(status, {}))
    with pytest.raises(error_class) as caught:
        make_client(max_retries=0).get(TASK_ID)
    assert type(caught.value) is error_class
    assert caught.value.message == reason
    assert str(caught.value).startswith(f"HTTP {status}: {reason}. ")
    assert caught.value.body == {}
    assert caught.value.task_id == TASK_ID


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"message": "invalid", "invalid_params": [{"name": "prompt", "reason": "too short"}]},
            (("prompt", "too short"),),
        ),
        (
            {"problem": {"message": "invalid", "invalid_params": [{"name": "x", "reason": "y"}]}},
            (("x", "y"),),
        ),
        ({"message": "plain"}, ()),
    ],
)
def test_bad_request_exposes_invalid_params_from_either_shape(
    make_client: Any, server: ScriptedServer, body: dict[str, Any], expected: Any
) -> None:
    server.on(
        "POST",
        httpx.Response(400, json=body, headers={"content-type": "application/problem+json"}),
    )
    with pytest.raises(BadRequestError) as caught:
        make_client().create("A suited raccoon")
    assert caught.value.invalid_params == expected
    assert caught.value.message == "invalid" if expected else "plain"


RETRYABLE_FOR_GET = [
    json_response(408, {"message": "timeout"}),
    json_response(429, {"message": "Too many requests"}),
    json_response(500, {"message": "Internal Server Error"}),
    httpx.Response(502, text=HTML),
    json_response(503, {"message": "Service Unavailable. Please try again later."}),
    httpx.Response(520, text=""),
    httpx.ConnectError("refused"),
    httpx.ReadTimeout("slow"),
    httpx.RemoteProtocolError("reset"),
]


@pytest.mark.parametrize("failure", RETRYABLE_FOR_GET)
def test_get_is_retried_max_retries_times_then_raises(
    make_client: Any, server: ScriptedServer, failure: Any
) -> None:
    server.on("GET", failure)
    with pytest.raises(NanoBananaProError) as caught:
        make_client(max_retries=2).get(TASK_ID)
    assert server.count("GET") == 3
    assert caught.value.task_id == TASK_ID


@pytest.mark.parametrize("failure", RETRYABLE_FOR_GET)
def test_get_recovers_when_the_fault_passes(
    make_client: Any, server: ScriptedServer, failure: Any
) -> None:
    server.on("GET", failure, json_response(200, task_body("COMPLETED")))
    assert make_client().get(TASK_ID).is_completed
    assert server.count("GET") == 2


def test_max_retries_can_be_set_per_call(make_client: Any, server: ScriptedServer) -> None:
    server.on("GET", json_response(503, {"message": "down"}))
    client = make_client(max_retries=5)
    with pytest.raises(ServerError):
        client.get(TASK_ID, max_retries=0)
    assert server.count("GET") == 1


@pytest.mark.parametrize(
    ("failure", "error_class"),
    [
        (json_response(500, {"message": "Internal Server Error"}), ServerError),
        (httpx.Response(502, text=HTML), ServerError),
        (httpx.ReadTimeout("no answer"), APITimeoutError),
        (httpx.RemoteProtocolError("reset after sending"), APIConnectionError),
        (httpx.WriteTimeout("stuck while sending"), APITimeoutError),
        (json_response(400, {"message": "bad"}), BadRequestError),
    ],
)
def test_a_create_is_never_retried_when_the_service_may_have_acted(
    make_client: Any, server: ScriptedServer, failure: Any, error_class: type[Exception]
) -> None:
    server.on("POST", failure)
    with pytest.raises(error_class) as caught:
        make_client(max_retries=5).create("A suited raccoon")
    assert server.count("POST") == 1
    assert caught.value.task_id is None
    if isinstance(caught.value, APIConnectionError):
        assert caught.value.request_sent
    # The message never invites a second billed create: it says the task may exist, or, when
    # the service refused it, what to fix.
    may_exist = "task may exist anyway, and be billed: check list() before creating it again"
    assert (may_exist in str(caught.value)) is not isinstance(caught.value, BadRequestError)
    assert "try again" not in str(caught.value).lower()
    assert "raise timeout=" not in str(caught.value)


@pytest.mark.parametrize(
    "failure",
    [
        json_response(429, {"message": "Too many requests"}),
        json_response(503, {"message": "Service Unavailable. Please try again later."}),
        httpx.ConnectError("connection refused"),
    ],
)
def test_a_create_that_made_no_task_does_not_say_one_may_exist(
    make_client: Any, server: ScriptedServer, failure: Any
) -> None:
    server.on("POST", failure)
    with pytest.raises(NanoBananaProError) as caught:
        make_client(max_retries=0).create("A suited raccoon")
    assert "may exist" not in str(caught.value)


def test_a_task_that_may_exist_is_said_once_and_the_error_keeps_its_fields(
    make_client: Any, server: ScriptedServer
) -> None:
    server.on("POST", json_response(500, {"message": "Internal error"}))
    with pytest.raises(ServerError) as caught:
        make_client(max_retries=0).generate("A suited raccoon")
    assert str(caught.value).count("may exist") == 1
    assert str(caught.value).startswith("HTTP 500: Internal error. The task may exist")
    assert (caught.value.status_code, caught.value.message) == (500, "Internal error")


@pytest.mark.parametrize(
    "failure",
    [
        json_response(429, {"message": "Too many requests"}),
        json_response(503, {"message": "Service Unavailable. Please try again later."}),
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("no connection"),
    ],
)
def test_a_create_is_retried_when_the_service_certainly_did_not_act(
    make_client: Any, server: ScriptedServer, failure: Any
) -> None:
    server.on("POST", failure, failure, json_response(200, task_body("CREATED")))
    task = make_client(max_retries=2).create("A suited raccoon")
    assert task.task_id == TASK_ID
    assert server.count("POST") == 3


def test_a_create_that_cannot_connect_says_nothing_was_sent(
    make_client: Any, server: ScriptedServer
) -> None:
    server.on("POST", httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as caught:
        make_client(max_retries=1).create("A suited raccoon")
    assert caught.value.request_sent is False
    assert server.count("POST") == 2


def test_retry_after_in_seconds_is_honoured(
    make_client: Any, server: ScriptedServer, clock: VirtualClock
) -> None:
    limited = json_response(429, {"message": "Too many requests"}, {"Retry-After": "7"})
    server.on("GET", limited, json_response(200, task_body()))
    make_client().get(TASK_ID)
    assert clock.slept == [7.0]


def test_retry_after_as_an_http_date_is_honoured(
    make_client: Any, server: ScriptedServer, clock: VirtualClock
) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    limited = json_response(503, {"message": "down"}, {"Retry-After": when})
    server.on("POST", limited, json_response(200, task_body("CREATED")))
    make_client().create("A suited raccoon")
    (slept,) = clock.slept
    assert 27.0 <= slept <= 30.0


def test_an_absurd_retry_after_is_capped(
    make_client: Any, server: ScriptedServer, clock: VirtualClock
) -> None:
    limited = json_response(429, {"message": "slow down"}, {"Retry-After": "1000000000"})
    server.on("GET", limited, json_response(200, task_body()))
    make_client().get(TASK_ID)
    assert clock.slept == [60.0]


def test_the_rate_limit_error_carries_retry_after(make_client: Any, server: ScriptedServer) -> None:
    server.on("GET", json_response(429, {"message": "Too many requests"}, {"Retry-After": "3"}))
    with pytest.raises(RateLimitError) as caught:
        make_client(max_retries=0).get(TASK_ID)
    assert caught.value.retry_after == 3.0


def test_backoff_grows_exponentially_with_jitter(
    make_client: Any, server: ScriptedServer, clock: VirtualClock
) -> None:
    server.on("GET", json_response(500, {"message": "boom"}))
    with pytest.raises(ServerError):
        make_client(max_retries=4).get(TASK_ID)
    assert len(clock.slept) == 4
    for attempt, slept in enumerate(clock.slept):
        ceiling = min(8.0, 0.5 * 2**attempt)
        assert ceiling / 2 <= slept <= ceiling


@pytest.mark.parametrize(
    ("status", "data"),
    [
        (201, {"task_id": TASK_ID, "status": "CREATED", "generated": []}),
        (202, {"task_id": TASK_ID, "status": "CREATED", "generated": []}),
        (200, {"task_id": TASK_ID, "status": {}, "generated": []}),
        (200, {"task_id": TASK_ID, "status": None, "generated": []}),
        (200, {"task_id": TASK_ID, "status": "CREATED"}),
        (200, {"task_id": TASK_ID, "status": "CREATED", "generated": {"0": "x"}}),
        (200, {"task_id": "task-abc", "status": "CREATED", "generated": []}),
    ],
)
def test_a_create_answered_off_the_spec_keeps_the_task_id_it_names(
    make_client: Any, server: ScriptedServer, status: int, data: dict[str, Any]
) -> None:
    server.on("POST", json_response(status, {"data": data}))
    with pytest.raises(APIResponseValidationError) as caught:
        make_client(max_retries=3).create("A suited raccoon")
    assert server.count("POST") == 1
    assert caught.value.task_id == data["task_id"]
    assert f"It names task {data['task_id']}, which may exist and be billed" in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        {"status": "CREATED"},
        {"task_id": 7},
        {"task_id": " "},
        {"task_id": "x" * 201},
        {"task_id": "a\x1b[2Jb"},
        {"task_id": f"id-{API_KEY}"},  # the key echoed: no id, and never in the message
        [],
    ],
)
def test_an_answer_without_a_usable_id_says_the_task_may_exist(
    make_client: Any, server: ScriptedServer, data: Any
) -> None:
    server.on("POST", json_response(200, {"data": data}))
    with pytest.raises(APIResponseValidationError) as caught:
        make_client(max_retries=3).create("A suited raccoon")
    assert caught.value.task_id is None
    assert "check list() before creating it again" in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_a_batch_waits_for_the_task_an_answer_off_the_spec_names_and_never_makes_it_again(
    make_client: Any, server: ScriptedServer, tmp_path: Any
) -> None:
    server.on("POST", json_response(201, task_body("CREATED")))
    server.on("GET", json_response(200, task_body("COMPLETED")))
    ledger = tmp_path / "run.sqlite"

    [first] = make_client().generate_many(["A suited raccoon"], ledger=ledger)
    [second] = make_client().generate_many(["A suited raccoon"], ledger=ledger)

    assert first.ok
    assert first.task is not None
    assert first.task.task_id == TASK_ID
    assert second.recorded
    assert server.count("POST") == 1


def test_a_list_answered_404_blames_the_base_url_not_a_task(
    make_client: Any, server: ScriptedServer
) -> None:
    server.on("GET", json_response(404, {"message": "Not Found"}))
    with pytest.raises(NotFoundError) as caught:
        make_client(max_retries=0).list()
    assert "The API is not at base_url: pass its root" in str(caught.value)
    assert "No such task" not in str(caught.value)


def test_a_message_that_ends_its_sentence_is_not_given_a_second_full_stop(
    make_client: Any, server: ScriptedServer
) -> None:
    server.on("GET", json_response(503, {"message": "Please try again later."}))
    with pytest.raises(ServerError) as caught:
        make_client(max_retries=0).get(TASK_ID)
    assert (
        str(caught.value) == "HTTP 503: Please try again later. The service failed: try again later"
    )


@pytest.mark.parametrize(
    ("api_key", "task_id", "kept"), [("k", "task-abc", True), ("abc", "abc.1", False)]
)
def test_a_short_key_drops_only_an_id_it_stands_in_as_a_token(
    make_client: Any, server: ScriptedServer, api_key: str, task_id: str, kept: bool
) -> None:
    """The mask's own rule: a key too short to mask anywhere is masked where it is a token."""
    server.on("POST", json_response(201, {"data": {"task_id": task_id, "status": "CREATED"}}))
    with pytest.raises(APIResponseValidationError) as caught:
        make_client(api_key=api_key, max_retries=0).create("A suited raccoon")
    assert caught.value.task_id == (task_id if kept else None)
