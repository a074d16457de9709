"""`extra_body=`: fields the service has shipped before the spec has them, sent as they are."""

from __future__ import annotations

import math
from typing import Any

import pytest

from nano_banana_pro import InvalidRequestError
from tests.client.conftest import ScriptedServer, json_response, sent_json, task_body

PROMPT = "A suited raccoon"


def test_create_sends_the_extra_fields_beside_the_declared_ones(
    client: Any, server: ScriptedServer
) -> None:
    server.on("POST", json_response(200, task_body("CREATED")))
    client.create(
        PROMPT, resolution="4K", extra_body={"guidance_scale": 42, "style": {"name": "ink"}}
    )
    (request,) = server.requests
    assert sent_json(request) == {
        "prompt": PROMPT,
        "aspect_ratio": "1:1",
        "resolution": "4K",
        "guidance_scale": 42,
        "style": {"name": "ink"},
    }


def test_generate_passes_them_on(client: Any, server: ScriptedServer) -> None:
    server.on("POST", json_response(200, task_body("COMPLETED", ["https://x.test/a.png"])))
    client.generate(PROMPT, extra_body={"use_google_search_tool": True})
    assert sent_json(server.requests[0])["use_google_search_tool"] is True


def test_a_caller_changing_the_dict_afterwards_changes_nothing_sent(
    client: Any, server: ScriptedServer
) -> None:
    server.on("POST", json_response(200, task_body("CREATED")))
    extra: dict[str, Any] = {"tags": ["a"]}
    client.create(PROMPT, extra_body=extra)
    extra["tags"].append("b")
    assert sent_json(server.requests[0])["tags"] == ["a"]


@pytest.mark.parametrize("declared", ["prompt", "aspect_ratio", "resolution", "webhook_url"])
def test_a_declared_field_in_extra_body_is_refused_before_sending(
    client: Any, server: ScriptedServer, declared: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.create(PROMPT, extra_body={declared: "16:9"})
    assert caught.value.field == f"extra_body.{declared}"
    assert f"pass {declared}=... instead" in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize(
    "extra",
    [
        {"guidance_scale": math.nan},
        {"when": object()},
        {1: "not a string key"},
        ["guidance_scale", 42],
        "guidance_scale=42",
        {"text": "\ud800"},
    ],
)
def test_extra_body_that_is_not_json_is_refused_before_sending(
    client: Any, server: ScriptedServer, extra: Any
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.create(PROMPT, extra_body=extra)
    assert caught.value.field == "extra_body"
    assert server.requests == []


def test_an_unknown_keyword_is_refused_and_the_allowed_ones_named(
    client: Any, server: ScriptedServer
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.create(PROMPT, guidance_scale=42)
    assert caught.value.field == "guidance_scale"
    assert "aspect_ratio" in caught.value.allowed
    assert server.requests == []


def test_batch_items_take_extra_body(client: Any, server: ScriptedServer) -> None:
    server.on("POST", json_response(200, task_body("COMPLETED", ["https://x.test/a.png"])))
    (result,) = client.generate_many([{"prompt": PROMPT, "extra_body": {"guidance_scale": 7}}])
    assert result.ok
    assert sent_json(server.requests[0])["guidance_scale"] == 7


def test_a_batch_item_overwriting_a_declared_field_fails_alone(
    client: Any, server: ScriptedServer
) -> None:
    server.on("POST", json_response(200, task_body("COMPLETED", ["https://x.test/a.png"])))
    bad, good = client.generate_many(
        [{"prompt": PROMPT, "extra_body": {"resolution": "4K"}}, PROMPT]
    )
    assert isinstance(bad.error, InvalidRequestError)
    assert good.ok
    assert server.count("POST") == 1
