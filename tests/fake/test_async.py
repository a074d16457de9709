"""`FakeMagnific.async_transport()` with httpx.AsyncClient, under anyio."""

from __future__ import annotations

import anyio
import httpx
import pytest

from nano_banana_pro.testing import API_PATH, FakeMagnific
from tests.fake.helpers import BASE_URL, KEY, read_png, task_url

pytestmark = pytest.mark.anyio


def async_client(fake: FakeMagnific) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=BASE_URL, headers={"x-magnific-api-key": KEY}, transport=fake.async_transport()
    )


async def test_the_lifecycle_with_an_async_client(fake_magnific: FakeMagnific) -> None:
    async with async_client(fake_magnific) as client:
        created = await client.post(API_PATH, json={"prompt": "A suited raccoon"})
        task_id = created.json()["data"]["task_id"]
        statuses: list[str] = []
        while not statuses or statuses[-1] != "COMPLETED":
            answer = await client.get(task_url(task_id))
            statuses.append(answer.json()["data"]["status"])
            await fake_magnific.clock.asleep(2)
        image = await client.get(answer.json()["data"]["generated"][0])

    assert statuses == ["CREATED", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    assert read_png(image.content)[:2] == (128, 128)


async def test_async_faults(fake_magnific: FakeMagnific) -> None:
    fake_magnific.drop_next(on="list")
    fake_magnific.delay_next(10, on="list")
    fake_magnific.fail_next(429, retry_after=3, on="list")
    async with async_client(fake_magnific) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(API_PATH)
        with pytest.raises(httpx.ReadTimeout):
            await client.get(API_PATH, timeout=httpx.Timeout(5, read=4))
        throttled = await client.get(API_PATH)
        assert (await client.get(API_PATH)).status_code == 200

    assert fake_magnific.clock.monotonic() == 4
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "3"


async def test_concurrent_async_creates(fake_magnific: FakeMagnific) -> None:
    answers: list[int] = []

    async def create(client: httpx.AsyncClient, index: int) -> None:
        answers.append(
            (await client.post(API_PATH, json={"prompt": f"raccoon {index}"})).status_code
        )

    async with async_client(fake_magnific) as client, anyio.create_task_group() as group:
        for index in range(10):
            group.start_soon(create, client, index)
    assert answers == [200] * 10
    assert sorted(task.body["prompt"] for task in fake_magnific.tasks.values()) == sorted(
        f"raccoon {index}" for index in range(10)
    )
