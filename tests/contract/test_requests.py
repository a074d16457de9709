"""Requests against the spec: the validating transport catches every kind of mismatch.

`tests/client/conftest.py` wraps the scripted transport of the whole facade suite in
`SpecValidatingTransport`, so every request the facade sends there is checked. These tests show
that the check bites: each request below is wrong in one way and must be stopped before it is
answered, whichever client sends it (raw httpx, sync or async, or the generated client, which
does not validate enum values).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nano_banana_pro.testing import API_PATH, FakeMagnific
from nano_banana_pro_api import AuthenticatedClient
from nano_banana_pro_api.api.text_to_image import create_image_from_text_nano_banana_pro
from nano_banana_pro_api.models import CreateImageRequest
from tests.contract.conftest import KEY
from tests.contract.validating import (
    DEFAULT_BASE_URL,
    SpecValidatingTransport,
    SpecViolationError,
    operation_id,
)

pytestmark = pytest.mark.contract

TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
KEYED = {"x-magnific-api-key": KEY}
CREATE_URL = DEFAULT_BASE_URL + API_PATH


class CountingAnswerer:
    """Answers 200 with a task, counting the requests that got through."""

    def __init__(self) -> None:
        self.answered = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.answered += 1
        body = {"data": {"task_id": TASK_ID, "status": "CREATED", "generated": []}}
        return httpx.Response(200, json=body)


def create(body: Any, *, headers: dict[str, str] | None = None) -> httpx.Request:
    return httpx.Request(
        "POST", CREATE_URL, json=body, headers=KEYED if headers is None else headers
    )


INVALID_REQUESTS = {
    "aspect ratio outside the enum": (
        create({"prompt": "A raccoon", "aspect_ratio": "7:3"}),
        "7:3",
    ),
    "resolution outside the enum": (create({"prompt": "A raccoon", "resolution": "8K"}), "8K"),
    "prompt too short": (create({"prompt": "A"}), "too short"),
    "prompt missing": (create({"aspect_ratio": "1:1"}), "'prompt' is a required property"),
    "reference image without mime_type": (
        create({"prompt": "A raccoon", "reference_images": [{"image": "https://x.test/a.png"}]}),
        "'mime_type' is a required property",
    ),
    "15 reference images": (
        create(
            {
                "prompt": "A raccoon",
                "reference_images": [{"image": "gs://b/o", "mime_type": "image/png"}] * 15,
            }
        ),
        "is too long",
    ),
    "a field the spec does not define": (
        create({"prompt": "A raccoon", "guidance_scale": 42}),
        "'guidance_scale' was unexpected",
    ),
    "no API key": (create({"prompt": "A raccoon"}, headers={}), "Security not found"),
    "a body that is not JSON": (
        httpx.Request(
            "POST",
            CREATE_URL,
            content=b"prompt=A raccoon",
            headers={**KEYED, "content-type": "text/plain"},
        ),
        "text/plain",
    ),
    "a method the path does not have": (
        httpx.Request("DELETE", f"{CREATE_URL}/{TASK_ID}", headers=KEYED),
        "Operation delete not found",
    ),
    "a path the spec does not have": (
        httpx.Request("GET", f"{CREATE_URL}-flash", headers=KEYED),
        "Path not found",
    ),
    "an empty task id": (
        httpx.Request("GET", f"{CREATE_URL}/", headers=KEYED),
        "empty path parameter 'task-id'",
    ),
}


@pytest.mark.parametrize(("request_", "expected"), INVALID_REQUESTS.values(), ids=INVALID_REQUESTS)
def test_an_invalid_request_fails_the_test_before_it_is_answered(
    request_: httpx.Request, expected: str
) -> None:
    answerer = CountingAnswerer()
    transport = SpecValidatingTransport(httpx.MockTransport(answerer))
    with httpx.Client(transport=transport) as client, pytest.raises(SpecViolationError) as caught:
        client.send(request_)
    assert expected in str(caught.value)
    assert answerer.answered == 0
    assert transport.violations
    assert transport.operations == []


@pytest.mark.anyio
async def test_an_async_client_is_checked_too() -> None:
    answerer = CountingAnswerer()
    transport = SpecValidatingTransport(httpx.MockTransport(answerer))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.send(create({"prompt": "A raccoon"}))
        with pytest.raises(SpecViolationError, match="7:3"):
            await client.send(create({"prompt": "A raccoon", "aspect_ratio": "7:3"}))
    assert answerer.answered == 1
    assert transport.operations == ["create_image_from_text_nano_banana_pro"]


def test_valid_requests_pass_and_their_operations_are_recorded() -> None:
    answerer = CountingAnswerer()
    transport = SpecValidatingTransport(httpx.MockTransport(answerer))
    with httpx.Client(transport=transport, headers=KEYED) as client:
        client.post(CREATE_URL, json={"prompt": "A raccoon", "aspect_ratio": "16:9"})
        client.get(CREATE_URL)
        client.get(f"{CREATE_URL}/{TASK_ID}")
    assert answerer.answered == 3
    assert transport.operations == [
        "create_image_from_text_nano_banana_pro",
        "get_all_nano_banana_pro_tasks",
        "get_nano_banana_pro_task_status",
    ]


def test_other_hosts_and_unchecked_paths_pass_unchecked() -> None:
    answerer = CountingAnswerer()
    transport = SpecValidatingTransport(
        httpx.MockTransport(answerer),
        base_url="http://127.0.0.1:8000",
        unchecked=lambda request: request.url.path.startswith("/_fake/images/"),
    )
    with httpx.Client(transport=transport) as client:
        client.get("https://ai-statics.freepik.com/completed_task_image.jpg")
        client.get("http://127.0.0.1:8000/_fake/images/x.png")
        with pytest.raises(SpecViolationError, match="Security not found"):
            client.get(f"http://127.0.0.1:8000{API_PATH}")
    assert answerer.answered == 2


def test_the_generated_client_sends_an_enum_value_the_facade_refuses_and_is_caught() -> None:
    """Below the facade nothing checks enum values (the generated enums tolerate unknown ones)."""
    fake = FakeMagnific(api_key=KEY)
    transport = SpecValidatingTransport(fake.transport())
    client = AuthenticatedClient(
        base_url=DEFAULT_BASE_URL,
        token=KEY,
        prefix="",
        auth_header_name="x-magnific-api-key",
        httpx_args={"transport": transport},
    )
    body = CreateImageRequest.from_dict({"prompt": "A raccoon", "aspect_ratio": "7:3"})
    with client, pytest.raises(SpecViolationError, match="aspect_ratio"):
        create_image_from_text_nano_banana_pro.sync_detailed(client=client, body=body)
    assert fake.requests == []


def test_operation_id_names_the_operation_of_a_request() -> None:
    request = httpx.Request("GET", f"{CREATE_URL}/a%2Fb")
    assert operation_id(request) == "get_nano_banana_pro_task_status"
