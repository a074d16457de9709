"""Construction, configuration and the three operations."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from nano_banana_pro import (
    AspectRatio,
    AsyncNanoBananaPro,
    InvalidRequestError,
    NanoBananaPro,
    ReferenceImage,
    Resolution,
    Task,
    TaskStatus,
)
from tests.client.conftest import (
    API_KEY,
    OTHER_ID,
    TASK_ID,
    TASKS_PATH,
    ScriptedServer,
    json_response,
    sent_json,
    task_body,
)


@pytest.mark.parametrize("client_class", [NanoBananaPro, AsyncNanoBananaPro])
def test_a_missing_key_says_how_to_set_it(
    client_class: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAGNIFIC_API_KEY", raising=False)
    with pytest.raises(InvalidRequestError, match="MAGNIFIC_API_KEY"):
        client_class()


def test_the_key_and_base_url_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, server: ScriptedServer
) -> None:
    monkeypatch.setenv("MAGNIFIC_API_KEY", "env-key-123")
    monkeypatch.setenv("MAGNIFIC_BASE_URL", "http://127.0.0.1:9999/")
    server.on("GET", json_response(200, {"data": []}))
    with NanoBananaPro(transport=httpx.MockTransport(server.handle)) as client:
        client.list()
    (request,) = server.requests
    assert request.headers["x-magnific-api-key"] == "env-key-123"
    assert str(request.url) == f"http://127.0.0.1:9999{TASKS_PATH}"


@pytest.mark.parametrize("bad", ["ftp://x", "api.magnific.com", ""])
def test_a_bad_base_url_is_refused(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGNIFIC_BASE_URL", raising=False)
    if not bad:
        monkeypatch.setenv("MAGNIFIC_BASE_URL", "file:///etc")
    with pytest.raises(InvalidRequestError, match="base_url"):
        NanoBananaPro(api_key="k", base_url=bad or None)


@pytest.mark.parametrize(
    ("option", "value"), [("max_retries", -1), ("wait_timeout", 0), ("timeout", -3.0)]
)
def test_settings_out_of_range_are_refused(option: str, value: float) -> None:
    with pytest.raises(InvalidRequestError, match=option.split("_")[-1]):
        NanoBananaPro(api_key="k", **{option: value})


def test_repr_and_str_never_show_the_key(client: Any) -> None:
    assert API_KEY not in repr(client)
    assert API_KEY not in str(client)
    assert "api.magnific.com" in repr(client)


def test_create_sends_the_spec_defaults_the_key_and_a_user_agent(
    client: Any, server: ScriptedServer
) -> None:
    server.on("POST", json_response(200, task_body("CREATED")))
    task = client.create("A suited raccoon")
    (request,) = server.requests
    assert request.method == "POST"
    assert request.url.path == TASKS_PATH
    assert request.headers["x-magnific-api-key"] == API_KEY
    assert request.headers["user-agent"].startswith("magnific-nano-banana-pro/")
    assert sent_json(request) == {
        "prompt": "A suited raccoon",
        "aspect_ratio": "1:1",
        "resolution": "2K",
    }
    assert task == Task(task_id=TASK_ID, status=TaskStatus.CREATED)
    assert task.task_id == TASK_ID


def test_create_accepts_enums_strings_and_reference_images(
    client: Any, server: ScriptedServer
) -> None:
    server.on("POST", json_response(200, task_body("CREATED")))
    client.create(
        "A suited raccoon",
        aspect_ratio="16:9",
        resolution=Resolution.RES_4K,
        reference_images=[
            "https://example.com/a.png",
            {"image": "gs://bucket/b.jpg", "text": "style"},
            ReferenceImage(image="https://example.com/c", mime_type="image/webp"),
        ],
        webhook_url="https://example.com/hook",
    )
    assert sent_json(server.requests[0]) == {
        "prompt": "A suited raccoon",
        "aspect_ratio": "16:9",
        "resolution": "4K",
        "reference_images": [
            {"image": "https://example.com/a.png", "mime_type": "image/png"},
            {"image": "gs://bucket/b.jpg", "mime_type": "image/jpeg", "text": "style"},
            {"image": "https://example.com/c", "mime_type": "image/webp"},
        ],
        "webhook_url": "https://example.com/hook",
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"prompt": "x"}, "prompt"),
        ({"prompt": "ok prompt", "aspect_ratio": "7:3"}, "aspect_ratio"),
        ({"prompt": "ok prompt", "resolution": "8K"}, "resolution"),
        ({"prompt": "ok prompt", "reference_images": ["https://e.com/a.png"] * 15}, "reference"),
        ({"prompt": "ok prompt", "reference_images": ["https://e.com/a.gif"]}, "mime_type"),
        ({"prompt": "ok prompt", "webhook_url": "not a url"}, "webhook_url"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    client: Any, server: ScriptedServer, kwargs: dict[str, Any], field: str
) -> None:
    kwargs = dict(kwargs)
    prompt = kwargs.pop("prompt")
    with pytest.raises(InvalidRequestError, match=field) as caught:
        client.create(prompt, **kwargs)
    assert isinstance(caught.value, ValueError)
    assert server.requests == []


def test_get_takes_a_task_or_an_id_and_keeps_unknown_fields(
    client: Any, server: ScriptedServer
) -> None:
    body = task_body("COMPLETED", ["https://x/y.png"])
    body["data"]["has_nsfw"] = False
    server.on("GET", json_response(200, body))
    by_id = client.get(TASK_ID)
    by_task = client.get(by_id)
    assert by_id == by_task
    assert by_id.is_completed
    assert by_id.is_terminal
    assert by_id.generated == ("https://x/y.png",)
    assert by_id.raw["has_nsfw"] is False
    assert [request.url.path for request in server.requests] == [f"{TASKS_PATH}/{TASK_ID}"] * 2


def test_list_returns_tasks(client: Any, server: ScriptedServer) -> None:
    server.on(
        "GET",
        json_response(
            200,
            {
                "data": [
                    {"task_id": TASK_ID, "status": "COMPLETED"},
                    {"task_id": OTHER_ID, "status": "X"},
                ]
            },
        ),
    )
    tasks = client.list()
    assert [(task.task_id, task.status) for task in tasks] == [
        (TASK_ID, "COMPLETED"),
        (OTHER_ID, "X"),
    ]


def test_an_unknown_status_is_kept_not_terminal_and_logged_once(
    client: Any, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.on("GET", json_response(200, task_body("QUEUED_FOR_GPU")))
    with caplog.at_level(logging.WARNING, logger="nano_banana_pro"):
        first = client.get(TASK_ID)
        client.get(TASK_ID)
    assert first.status == "QUEUED_FOR_GPU"
    assert not first.is_known_status
    assert not first.is_terminal
    assert sum("QUEUED_FOR_GPU" in record.message for record in caplog.records) <= 1


def test_the_client_is_a_context_manager_and_closes(server: ScriptedServer) -> None:
    transport = httpx.MockTransport(server.handle)
    with NanoBananaPro(api_key="k", transport=transport) as client:
        pass
    server.on("GET", json_response(200, {"data": []}))
    with pytest.raises(RuntimeError):
        client.list()


def test_the_async_client_is_an_async_context_manager(server: ScriptedServer) -> None:
    import asyncio

    server.on("GET", json_response(200, {"data": []}))

    async def main() -> list[Task]:
        async with AsyncNanoBananaPro(
            api_key="k", transport=httpx.MockTransport(server.handle)
        ) as client:
            return await client.list()

    assert asyncio.run(main()) == []


def test_an_injected_http_client_is_pointed_at_the_api_and_left_open(
    server: ScriptedServer,
) -> None:
    server.on("GET", json_response(200, {"data": []}))
    http_client = httpx.Client(transport=httpx.MockTransport(server.handle))
    with NanoBananaPro(api_key="k", http_client=http_client) as client:
        client.list()
    assert server.requests[0].headers["x-magnific-api-key"] == "k"
    assert not http_client.is_closed
    http_client.close()


def test_aspect_ratio_helpers_are_public() -> None:
    assert AspectRatio.closest(1920, 1080) is AspectRatio.RATIO_16_9
    assert (AspectRatio("16:9").width, AspectRatio("16:9").height) == (16, 9)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, "magnific-nano-banana-pro/"), ({"User-Agent": "my-app/2"}, "my-app/2")],
)
def test_an_injected_http_client_keeps_its_own_user_agent_only_if_it_set_one(
    server: ScriptedServer, headers: dict[str, str], expected: str
) -> None:
    server.on("GET", json_response(200, {"data": []}))
    http_client = httpx.Client(transport=httpx.MockTransport(server.handle), headers=headers)
    with NanoBananaPro(api_key="k", http_client=http_client) as client:
        client.list()
    assert server.requests[0].headers["user-agent"].startswith(expected)
    http_client.close()
