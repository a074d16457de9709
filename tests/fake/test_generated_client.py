"""The generated client (`nano_banana_pro_api`) against the fake: the fake speaks the spec."""

from __future__ import annotations

import httpx
import pytest

from nano_banana_pro.testing import FakeMagnific
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
    MimeType,
    ProblemDetails,
    ReferenceImage,
    Resolution,
    TaskDetailResponse,
    TaskListResponse,
    TaskStatus,
)
from tests.fake.helpers import BASE_URL, read_png


def generated_client(
    fake: FakeMagnific, *, key: str = "test-key", base_url: str = BASE_URL
) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=base_url,
        token=key,
        prefix="",
        auth_header_name="x-magnific-api-key",
        httpx_args={"transport": fake.transport()},
    )


def test_create_wait_get_list_and_download(fake_magnific: FakeMagnific) -> None:
    client = generated_client(fake_magnific)
    body = CreateImageRequest(
        prompt="A suited raccoon smoking a pipe",
        reference_images=[
            ReferenceImage(
                image="https://example.com/ref.jpg", mime_type=MimeType.JPEG, text="style"
            )
        ],
        aspect_ratio=AspectRatio.RATIO_16_9,
        resolution=Resolution.RES_4K,
    )

    created = create_image_from_text_nano_banana_pro.sync(client=client, body=body)
    assert isinstance(created, TaskDetailResponse)
    assert created.data.status == TaskStatus.CREATED
    task_id = str(created.data.task_id)

    fake_magnific.advance(5)
    done = get_nano_banana_pro_task_status.sync(task_id, client=client)
    listed = get_all_nano_banana_pro_tasks.sync(client=client)

    assert isinstance(done, TaskDetailResponse)
    assert done.data.status == TaskStatus.COMPLETED
    [url] = done.data.generated
    image = client.get_httpx_client().get(url)
    assert read_png(image.content)[:2] == (256, 144)
    assert isinstance(listed, TaskListResponse)
    assert [(str(t.task_id), t.status) for t in listed.data] == [(task_id, TaskStatus.COMPLETED)]


def test_error_answers_parse_as_the_spec_says(fake_magnific: FakeMagnific) -> None:
    client = generated_client(fake_magnific)

    invalid = create_image_from_text_nano_banana_pro.sync_detailed(
        client=client, body=CreateImageRequest(prompt="x")
    )
    unauthorised = get_all_nano_banana_pro_tasks.sync_detailed(
        client=generated_client(fake_magnific, key="wrong")
    )
    missing = get_nano_banana_pro_task_status.sync_detailed(
        "046b6c7f-0b8a-43b9-b35d-6489e6daee91", client=client
    )

    assert invalid.status_code == 400
    assert isinstance(invalid.parsed, ErrorMessage)
    problem = ProblemDetails.from_dict(invalid.parsed.to_dict())
    assert [p.name for p in problem.invalid_params] == ["prompt"]  # type: ignore[union-attr]
    assert isinstance(unauthorised.parsed, ErrorMessage)
    assert unauthorised.parsed.message == "Invalid API key"
    assert missing.status_code == 404


def test_an_unknown_status_reaches_the_generated_model(fake_magnific: FakeMagnific) -> None:
    client = generated_client(fake_magnific)
    created = create_image_from_text_nano_banana_pro.sync(
        client=client, body=CreateImageRequest(prompt="A suited raccoon")
    )
    assert isinstance(created, TaskDetailResponse)
    fake_magnific.unknown_status_next("QUEUED")

    answer = get_nano_banana_pro_task_status.sync(str(created.data.task_id), client=client)

    assert isinstance(answer, TaskDetailResponse)
    assert answer.data.status == "QUEUED"
    assert answer.data.status not in list(TaskStatus)


def test_a_dropped_create_surfaces_as_an_httpx_error(fake_magnific: FakeMagnific) -> None:
    fake_magnific.drop_next(on="create", after_processing=True)
    with pytest.raises(httpx.RemoteProtocolError):
        create_image_from_text_nano_banana_pro.sync_detailed(
            client=generated_client(fake_magnific), body=CreateImageRequest(prompt="A raccoon")
        )
    assert len(fake_magnific.tasks) == 1


def test_the_generated_client_over_the_http_server(fake_magnific: FakeMagnific) -> None:
    with fake_magnific.serve() as base_url:
        client = AuthenticatedClient(
            base_url=base_url, token="test-key", prefix="", auth_header_name="x-magnific-api-key"
        )
        with client:
            created = create_image_from_text_nano_banana_pro.sync(
                client=client, body=CreateImageRequest(prompt="A suited raccoon")
            )
            assert isinstance(created, TaskDetailResponse)
            fake_magnific.advance(1)
            answer = get_nano_banana_pro_task_status.sync(str(created.data.task_id), client=client)

    assert isinstance(answer, TaskDetailResponse)
    assert answer.data.status == TaskStatus.IN_PROGRESS
