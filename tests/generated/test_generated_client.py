"""The generated low-level client, driven through httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from nano_banana_pro_api import AuthenticatedClient
from nano_banana_pro_api.api.text_to_image import (
    create_image_from_text_nano_banana_pro,
    get_all_nano_banana_pro_tasks,
    get_nano_banana_pro_task_status,
)
from nano_banana_pro_api.models import (
    AspectRatio,
    CreateImageRequest,
    ErrorMessage,
    ProblemDetails,
    Resolution,
    TaskDetailResponse,
    TaskListResponse,
    TaskStatus,
    WebhookPayload,
)

TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
BASE = "/v1/ai/text-to-image/nano-banana-pro"


def client_answering(
    status: int, body: Any, seen: list[httpx.Request], content_type: str = "application/json"
) -> AuthenticatedClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            status, content=json.dumps(body).encode(), headers={"content-type": content_type}
        )

    client = AuthenticatedClient(
        base_url="https://api.magnific.com",
        token="test-key",  # noqa: S106
        prefix="",
        auth_header_name="x-magnific-api-key",
    )
    client.set_httpx_client(
        httpx.Client(
            base_url="https://api.magnific.com",
            headers={"x-magnific-api-key": "test-key"},
            transport=httpx.MockTransport(handler),
        )
    )
    return client


COMPLETED = {"data": {"task_id": TASK_ID, "status": "COMPLETED", "generated": ["https://x/y.png"]}}


@pytest.mark.parametrize(
    ("call", "method", "path", "body"),
    [
        pytest.param(
            lambda c: create_image_from_text_nano_banana_pro.sync_detailed(
                client=c,
                body=CreateImageRequest(
                    prompt="A suited raccoon",
                    aspect_ratio=AspectRatio.RATIO_16_9,
                    resolution=Resolution.RES_4K,
                ),
            ),
            "POST",
            BASE,
            COMPLETED,
            id="create",
        ),
        pytest.param(
            lambda c: get_nano_banana_pro_task_status.sync_detailed(TASK_ID, client=c),
            "GET",
            f"{BASE}/{TASK_ID}",
            COMPLETED,
            id="get",
        ),
        pytest.param(
            lambda c: get_all_nano_banana_pro_tasks.sync_detailed(client=c),
            "GET",
            BASE,
            {"data": [{"task_id": TASK_ID, "status": "CREATED"}]},
            id="list",
        ),
    ],
)
def test_each_operation_goes_to_its_method_and_path_with_the_key(
    call: Callable[[AuthenticatedClient], Any], method: str, path: str, body: Any
) -> None:
    seen: list[httpx.Request] = []
    response = call(client_answering(200, body, seen))

    assert response.status_code == 200
    assert len(seen) == 1
    assert seen[0].method == method
    assert seen[0].url.path == path
    assert seen[0].headers["x-magnific-api-key"] == "test-key"
    if method == "POST":
        assert json.loads(seen[0].content) == {
            "prompt": "A suited raccoon",
            "aspect_ratio": "16:9",
            "resolution": "4K",
        }


def test_the_task_id_is_escaped_into_one_path_segment() -> None:
    seen: list[httpx.Request] = []
    get_nano_banana_pro_task_status.sync_detailed("../x/y", client=client_answering(200, COMPLETED, seen))
    assert seen[0].url.raw_path.decode() == f"{BASE}/..%2Fx%2Fy"


def response_examples(spec: dict[str, Any]) -> list[tuple[str, str, str, str, Any]]:
    """Every (path, method, status, content type, example value) in the spec."""
    found = []
    shared = spec["components"]["responses"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = shared[response["$ref"].rsplit("/", 1)[-1]]
                for content_type, media in response["content"].items():
                    for example in media["examples"].values():
                        found.append((path, method, status, content_type, example["value"]))
    return found


def test_the_spec_has_an_example_for_every_response(spec: dict[str, Any]) -> None:
    examples = response_examples(spec)
    statuses = {(path, method, status) for path, method, status, _, _ in examples}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                for status in operation["responses"]:
                    assert (path, method, status) in statuses


MODEL_FOR = {
    ("post", "200"): TaskDetailResponse,
    ("get", "200", True): TaskDetailResponse,
    ("get", "200", False): TaskListResponse,
}


def test_every_response_example_parses_through_the_generated_models(
    spec: dict[str, Any],
) -> None:
    parsed = 0
    for path, method, status, content_type, value in response_examples(spec):
        if status == "200":
            model = TaskDetailResponse if method == "post" or "{task-id}" in path else TaskListResponse
        elif content_type == "application/problem+json":
            model = ProblemDetails
        else:
            model = ErrorMessage
        assert model.from_dict(value).to_dict() == value, (path, method, status)
        parsed += 1
    assert parsed >= 15


def test_error_responses_parse_through_the_operation() -> None:
    seen: list[httpx.Request] = []
    response = get_nano_banana_pro_task_status.sync_detailed(
        TASK_ID, client=client_answering(404, {"message": "AI resource not found"}, seen)
    )
    assert response.status_code == 404
    assert isinstance(response.parsed, ErrorMessage)
    assert response.parsed.message == "AI resource not found"


ERROR_CALLS = {
    "create": lambda c: create_image_from_text_nano_banana_pro.sync_detailed(
        client=c, body=CreateImageRequest(prompt="A suited raccoon")
    ),
    "list": lambda c: get_all_nano_banana_pro_tasks.sync_detailed(client=c),
    "get": lambda c: get_nano_banana_pro_task_status.sync_detailed(TASK_ID, client=c),
}


@pytest.mark.parametrize(
    ("operation", "status"),
    [
        (operation, status)
        for operation in ERROR_CALLS
        for status in (400, 401, 404, 429, 500, 503)
        if status != 404 or operation == "get"  # 404: documented on the task-by-id call only
    ],
)
def test_an_empty_error_body_parses_through_every_operation(operation: str, status: int) -> None:
    seen: list[httpx.Request] = []
    response = ERROR_CALLS[operation](client_answering(status, {}, seen))
    assert response.status_code == status
    assert isinstance(response.parsed, ErrorMessage)
    assert response.parsed.to_dict() == {}


def test_an_empty_problem_body_parses() -> None:
    seen: list[httpx.Request] = []
    client = client_answering(400, {}, seen, content_type="application/problem+json")
    response = ERROR_CALLS["create"](client)
    assert isinstance(response.parsed, ErrorMessage | ProblemDetails)
    assert ProblemDetails.from_dict({"problem": {}}).to_dict() == {"problem": {}}


def test_an_unknown_status_and_unknown_fields_parse_without_an_exception() -> None:
    seen: list[httpx.Request] = []
    body = {
        "data": {
            "task_id": TASK_ID,
            "status": "QUEUED",
            "generated": [],
            "has_nsfw": False,
            "error": None,
        },
        "meta": {"x": 1},
    }
    response = get_nano_banana_pro_task_status.sync_detailed(
        TASK_ID, client=client_answering(200, body, seen)
    )
    parsed = response.parsed
    assert isinstance(parsed, TaskDetailResponse)
    assert parsed.data.status == "QUEUED"
    assert isinstance(parsed.data.status, TaskStatus)
    assert parsed.data.status not in list(TaskStatus)
    assert parsed.data.additional_properties == {"has_nsfw": False, "error": None}
    assert parsed.additional_properties == {"meta": {"x": 1}}
    assert parsed.to_dict() == body


def test_an_unknown_status_in_the_list_and_the_webhook_parses() -> None:
    listed = TaskListResponse.from_dict({"data": [{"task_id": TASK_ID, "status": "CANCELLED"}]})
    assert listed.data[0].status == "CANCELLED"
    payload = WebhookPayload.from_dict({"task_id": TASK_ID, "status": "RETRYING", "generated": []})
    assert payload.status == "RETRYING"


def test_a_non_string_status_is_still_rejected() -> None:
    with pytest.raises(ValueError, match="is not a valid TaskStatus"):
        TaskStatus(3)


@pytest.mark.parametrize(
    ("schema", "enum"),
    [
        ("AspectRatio", AspectRatio),
        ("Resolution", Resolution),
        ("TaskStatus", TaskStatus),
    ],
)
def test_enum_member_names_come_from_x_enum_varnames_not_positions(
    spec: dict[str, Any], schema: str, enum: type[Any]
) -> None:
    definition = spec["components"]["schemas"][schema]
    expected = dict(zip(definition["x-enum-varnames"], definition["enum"], strict=True))
    assert {member.name: member.value for member in enum} == expected


def test_aspect_ratios_load_as_strings_under_a_yaml_1_1_loader(spec: dict[str, Any]) -> None:
    ratios = spec["components"]["schemas"]["AspectRatio"]["enum"]
    assert all(isinstance(ratio, str) for ratio in ratios)
    assert "16:9" in ratios
    assert spec["components"]["schemas"]["AspectRatio"]["default"] == "1:1"
