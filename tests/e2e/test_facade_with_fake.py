"""End to end: the facade against FakeMagnific (in-process), on one virtual clock."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nano_banana_pro import (
    APIConnectionError,
    APITimeoutError,
    AsyncNanoBananaPro,
    AuthenticationError,
    BadRequestError,
    NanoBananaPro,
    NotFoundError,
    ServerError,
    TaskFailedError,
    webhooks,
)
from nano_banana_pro.testing import DEFAULT_WEBHOOK_SECRET, FakeMagnific, Schedule
from tests.client.conftest import AsyncDriven

PROMPT = "A suited raccoon smoking a pipe in a vintage study room"


@pytest.fixture
def fake() -> FakeMagnific:
    return FakeMagnific(schedule=Schedule(in_progress_after=2.0, complete_after=10.0))


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest, fake: FakeMagnific) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("api_key", "test-key")
        if request.param == "sync":
            client: Any = NanoBananaPro(transport=fake.transport(), clock=fake.clock, **options)
        else:
            client = AsyncDriven(
                AsyncNanoBananaPro(transport=fake.async_transport(), clock=fake.clock, **options)
            )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat = b""
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            idat += data[position + 8 : position + 8 + length]
        position += 12 + length
    assert zlib.decompress(idat)
    return width, height


def test_generate_polls_to_completion_and_downloads_a_real_png(
    connect: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    client = connect()
    statuses: list[str] = []
    task = client.generate(
        PROMPT, aspect_ratio="16:9", on_update=lambda t: statuses.append(t.status)
    )
    assert statuses == ["CREATED", "IN_PROGRESS", "COMPLETED"]
    (path,) = client.download(task, tmp_path)
    assert png_size(path) == (128, 72)
    assert fake.count(method="POST") == 1
    assert 10.0 <= fake.clock.monotonic() <= 20.0


def test_list_shows_the_created_tasks(connect: Callable[..., Any]) -> None:
    client = connect()
    first = client.create(PROMPT)
    second = client.create(PROMPT, resolution="4K")
    assert {task.task_id for task in client.list()} == {first.task_id, second.task_id}


def test_webhooks_from_the_fake_verify_with_the_facade(
    connect: Callable[..., Any], fake: FakeMagnific
) -> None:
    client = connect()
    task = client.generate(PROMPT, webhook_url="https://example.com/hook")
    deliveries = fake.webhook_deliveries
    assert [delivery.url for delivery in deliveries] == ["https://example.com/hook"] * 2
    received = [
        webhooks.unwrap(delivery.body, delivery.headers, DEFAULT_WEBHOOK_SECRET)
        for delivery in deliveries
    ]
    assert [event.status for event in received] == ["IN_PROGRESS", "COMPLETED"]
    assert received[-1].task_id == task.task_id
    assert received[-1].generated == task.generated


def test_rate_limiting_with_retry_after_is_ridden_out(
    connect: Callable[..., Any], fake: FakeMagnific
) -> None:
    fake.fail_next(429, count=2, on="create", retry_after=3)
    task = connect().create(PROMPT)
    assert fake.count(method="POST") == 3
    assert len(fake.tasks) == 1
    assert task.task_id in fake.tasks


@pytest.mark.parametrize("status", [500, 520])
def test_a_server_error_on_create_is_raised_after_exactly_one_post(
    connect: Callable[..., Any], fake: FakeMagnific, status: int
) -> None:
    fake.fail_next(status, on="create")
    with pytest.raises(ServerError):
        connect(max_retries=3).create(PROMPT)
    assert fake.count(method="POST") == 1


def test_an_html_gateway_page_becomes_a_server_error(
    connect: Callable[..., Any], fake: FakeMagnific
) -> None:
    fake.fail_next(502, html=True, on="get", count=5)
    with pytest.raises(ServerError, match="text/html"):
        connect(max_retries=1).get("046b6c7f-0b8a-43b9-b35d-6489e6daee91")


def test_a_dropped_connection_after_the_create_is_not_retried(
    connect: Callable[..., Any], fake: FakeMagnific
) -> None:
    fake.drop_next(on="create", after_processing=True)
    with pytest.raises(APIConnectionError) as caught:
        connect(max_retries=3).create(PROMPT)
    assert caught.value.request_sent
    assert fake.count(method="POST") == 1
    assert len(fake.tasks) == 1


def test_a_slow_create_times_out_without_a_second_post(
    connect: Callable[..., Any], fake: FakeMagnific
) -> None:
    fake.delay_next(60.0, on="create")
    with pytest.raises(APITimeoutError):
        connect(timeout=5.0).create(PROMPT)
    assert fake.count(method="POST") == 1


def test_a_slow_get_is_retried(connect: Callable[..., Any], fake: FakeMagnific) -> None:
    client = connect(timeout=5.0)
    task = client.create(PROMPT)
    fake.delay_next(60.0, on="get")
    assert client.get(task).task_id == task.task_id
    assert fake.count(method="GET") == 2


def test_a_failing_task_raises_task_failed_error(
    connect: Callable[..., Any], fake: FakeMagnific
) -> None:
    fake.fail_task_next()
    with pytest.raises(TaskFailedError) as caught:
        connect().generate(PROMPT)
    assert caught.value.task_id in fake.tasks


def test_an_unknown_status_is_ridden_through(
    connect: Callable[..., Any], fake: FakeMagnific
) -> None:
    client = connect()
    task = client.create(PROMPT)
    fake.unknown_status_next("QUEUED_FOR_GPU", count=2)
    seen: list[str] = []
    done = client.wait(task, on_update=lambda t: seen.append(t.status))
    assert done.is_completed
    assert "QUEUED_FOR_GPU" in seen


def test_a_wrong_key_and_an_unknown_id_are_typed_errors(
    connect: Callable[..., Any],
) -> None:
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        connect(api_key="wrong").list()
    with pytest.raises(NotFoundError):
        connect().get("00000000-0000-4000-8000-000000000000")


def test_the_fake_refuses_what_slips_past_validation_with_the_service_shape(
    connect: Callable[..., Any], fake: FakeMagnific
) -> None:
    fake.fail_next(
        400,
        on="create",
        body={"message": "invalid", "invalid_params": [{"name": "prompt", "reason": "nope"}]},
    )
    with pytest.raises(BadRequestError) as caught:
        connect().create(PROMPT)
    assert caught.value.invalid_params == (("prompt", "nope"),)


def test_the_fake_over_real_http(tmp_path: Path) -> None:
    fake = FakeMagnific(schedule=Schedule(in_progress_after=0.0, complete_after=0.0))
    with fake.serve() as base_url, NanoBananaPro(api_key="test-key", base_url=base_url) as client:
        task = client.generate(PROMPT, aspect_ratio="9:16")
        (path,) = client.download(task, tmp_path)
    assert png_size(path) == (72, 128)
