"""The facade against Prism, a mock server driven by the spec alone (no code of ours).

Prism validates each request against the spec (`--errors`: an invalid one gets a 4xx) and
answers with the spec's first example of the operation's 200: create answers IN_PROGRESS, get
answers COMPLETED (the first of its examples), list answers two tasks.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nano_banana_pro import AsyncNanoBananaPro, NanoBananaPro, Task, TaskStatus
from nano_banana_pro.testing import API_PATH
from tests.contract.conftest import KEY

pytestmark = pytest.mark.contract

EXAMPLE_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"


def check_tasks(created: Task, fetched: Task, listed: list[Task]) -> None:
    assert (created.task_id, created.status, created.generated) == (
        EXAMPLE_ID,
        TaskStatus.IN_PROGRESS,
        (),
    )
    assert fetched.is_completed
    assert fetched.generated == ("https://ai-statics.freepik.com/completed_task_image.jpg",)
    assert [(task.task_id, task.status) for task in listed] == [
        (EXAMPLE_ID, TaskStatus.COMPLETED),
        ("8d3c1f8e-2f0a-4b8e-9a51-0c7c1f0b5e22", TaskStatus.IN_PROGRESS),
    ]


def test_create_get_and_list_through_prism(prism_url: str) -> None:
    with NanoBananaPro(api_key=KEY, base_url=prism_url, max_retries=0) as client:
        created = client.create(
            "A suited raccoon smoking a pipe",
            aspect_ratio="21:9",
            resolution="4K",
            reference_images=[{"image": "gs://bucket/style.webp", "text": "style"}],
            webhook_url="https://hooks.example.com/magnific",
        )
        check_tasks(created, client.get(created), client.list())


@pytest.mark.anyio
async def test_create_get_and_list_through_prism_async(prism_url: str) -> None:
    async with AsyncNanoBananaPro(api_key=KEY, base_url=prism_url, max_retries=0) as client:
        created = await client.create("A suited raccoon smoking a pipe")
        check_tasks(created, await client.get(created.task_id), await client.list())


INVALID = {
    "aspect ratio outside the enum": (
        {
            "json": {"prompt": "A raccoon", "aspect_ratio": "7:3"},
            "headers": {"x-magnific-api-key": KEY},
        },
        400,
        "aspect_ratio",
    ),
    "reference image without mime_type": (
        {
            "json": {"prompt": "A raccoon", "reference_images": [{"image": "gs://b/o.png"}]},
            "headers": {"x-magnific-api-key": KEY},
        },
        400,
        "mime_type",
    ),
    "no API key": ({"json": {"prompt": "A raccoon"}}, 401, "security"),
}


@pytest.mark.parametrize(("options", "status", "named"), INVALID.values(), ids=INVALID)
def test_prism_rejects_a_request_the_spec_does_not_allow(
    prism_url: str, options: dict[str, Any], status: int, named: str
) -> None:
    """Raw httpx, past the facade's own checks: the rejection comes from the spec alone."""
    response = httpx.post(f"{prism_url}{API_PATH}", timeout=10.0, **options)
    assert response.status_code == status, response.text
    assert named in response.headers["sl-violations"].lower()
