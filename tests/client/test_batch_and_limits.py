"""generate_many, the client-side rate limit, and the learning poll schedule."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nano_banana_pro import (
    AsyncNanoBananaPro,
    InvalidRequestError,
    NanoBananaPro,
    PollSchedule,
    RateLimit,
    RateWindow,
    TaskFailedError,
    WaitTimeoutError,
)
from nano_banana_pro._config import DEFAULT_RATE_WINDOWS
from nano_banana_pro._governor import Governor
from nano_banana_pro._history import CompletionHistory
from nano_banana_pro._ratelimit import SERVICE_WINDOWS
from nano_banana_pro.clock import VirtualClock
from nano_banana_pro.testing import FakeMagnific, Schedule
from tests.client.conftest import AsyncDriven


class CountingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Counts requests in flight at once; each takes a few real milliseconds."""

    def __init__(self, inner_sync: httpx.BaseTransport, inner_async: httpx.AsyncBaseTransport):
        self._sync, self._async = inner_sync, inner_async
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:
            time.sleep(0.002)
            return self._sync.handle_request(request)
        finally:
            self._leave()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:
            await asyncio.sleep(0.002)
            return await self._async.handle_async_request(request)
        finally:
            self._leave()


@pytest.fixture
def fake() -> FakeMagnific:
    return FakeMagnific(schedule=Schedule(in_progress_after=1.0, complete_after=4.0))


@pytest.fixture(params=["sync", "async"])
def batch_client(
    request: pytest.FixtureRequest, fake: FakeMagnific
) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(transport: Any = None, **options: Any) -> Any:
        options.setdefault("api_key", "test-key")
        options.setdefault("clock", fake.clock)
        if request.param == "sync":
            client: Any = NanoBananaPro(transport=transport or fake.transport(), **options)
        else:
            client = AsyncDriven(
                AsyncNanoBananaPro(transport=transport or fake.async_transport(), **options)
            )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_results_come_back_in_input_order_with_errors_per_item(
    batch_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    requests: list[Any] = [
        "A suited raccoon",
        {"prompt": "x"},  # too short: refused before sending
        {"prompt": "A wide raccoon", "aspect_ratio": "21:9", "resolution": "1K"},
        {"prompt": "A raccoon", "colour": "red"},  # unknown parameter
    ]
    seen: list[int] = []
    results = batch_client().generate_many(
        requests, concurrency=2, download_to=tmp_path, on_result=lambda r: seen.append(r.index)
    )
    assert [result.index for result in results] == [0, 1, 2, 3]
    assert sorted(seen) == [0, 1, 2, 3]
    assert [result.ok for result in results] == [True, False, True, False]
    assert isinstance(results[1].error, InvalidRequestError)
    assert results[1].task_id is None
    assert isinstance(results[3].error, InvalidRequestError)
    assert "colour" in str(results[3].error)
    assert results[2].files[0].parent == tmp_path
    assert results[2].parameters["aspect_ratio"] == "21:9"
    assert fake.count(method="POST") == 2


def test_a_failed_or_timed_out_item_keeps_its_task_id(
    batch_client: Callable[..., Any], fake: FakeMagnific
) -> None:
    fake.fail_task_next()
    results = batch_client().generate_many(["A failing raccoon"], concurrency=1)
    (failed,) = results
    assert isinstance(failed.error, TaskFailedError)
    assert failed.task_id in fake.tasks
    slow = batch_client().generate_many(["A slow raccoon"], wait_timeout=2.0)
    assert isinstance(slow[0].error, WaitTimeoutError)
    assert slow[0].task_id in fake.tasks


def test_no_task_is_created_twice(batch_client: Callable[..., Any], fake: FakeMagnific) -> None:
    fake.fail_next(503, on="create", count=2)  # at most max_retries in a row for any item
    fake.fail_next(500, on="get", count=2)
    results = batch_client().generate_many([f"Raccoon number {i}" for i in range(12)])
    assert all(result.ok for result in results)
    created = [result.task_id for result in results]
    assert len(set(created)) == 12
    assert len(fake.tasks) == 12


def test_on_created_names_each_new_task_before_its_result(
    batch_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    client = batch_client()
    existing = client.create("A raccoon made earlier")
    events: list[tuple[str, int, str | None]] = []
    results = client.generate_many(
        [
            "A first raccoon",
            {"prompt": "x"},  # invalid: nothing created
            {"task_id": existing.task_id},  # resumed: nothing created
            "A second raccoon",
        ],
        concurrency=2,
        download_to=tmp_path,
        on_created=lambda index, task: events.append(("created", index, task.task_id)),
        on_result=lambda result: events.append(("result", result.index, result.task_id)),
    )
    created = [(index, task_id) for kind, index, task_id in events if kind == "created"]
    assert sorted(created) == [(0, results[0].task_id), (3, results[3].task_id)]
    for index, task_id in created:
        assert task_id in fake.tasks
        assert events.index(("created", index, task_id)) < events.index(("result", index, task_id))
    assert sorted(index for kind, index, _ in events if kind == "result") == [0, 1, 2, 3]


def test_an_item_with_a_task_id_resumes_that_task(
    batch_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    client = batch_client()
    existing = client.create("A raccoon made earlier")
    posts = fake.count(method="POST")

    [result] = client.generate_many(
        [{"task_id": existing.task_id, "prompt": "A raccoon made earlier"}], download_to=tmp_path
    )

    assert fake.count(method="POST") == posts  # waited for and downloaded, never created
    assert result.ok, result.error
    assert result.task_id == existing.task_id
    assert result.parameters == {"task_id": existing.task_id, "prompt": "A raccoon made earlier"}
    assert [file.name for file in result.files] == [f"{existing.task_id}_0.png"]


@pytest.mark.parametrize("task_id", ["", "   ", None, 42])
def test_a_task_id_that_is_not_a_non_empty_string_is_refused(
    batch_client: Callable[..., Any], fake: FakeMagnific, task_id: Any
) -> None:
    [result] = batch_client().generate_many([{"task_id": task_id}])

    assert isinstance(result.error, InvalidRequestError)
    assert "requests[0].task_id" in str(result.error)
    assert result.task_id is None
    assert fake.requests == []


def test_an_exception_from_a_callback_stops_the_batch(
    batch_client: Callable[..., Any], fake: FakeMagnific
) -> None:
    def refuse(index: int, task: Any) -> None:
        raise RuntimeError(f"cannot record item {index}")

    with pytest.raises(RuntimeError, match="cannot record item 0"):
        batch_client().generate_many(
            [f"Raccoon number {i}" for i in range(5)], concurrency=1, on_created=refuse
        )
    # The item a worker picked up as the first one ended may run; the later ones never start.
    assert fake.count(method="POST") <= 2


def test_concurrency_bounds_the_requests_in_flight(
    batch_client: Callable[..., Any], fake: FakeMagnific
) -> None:
    counting = CountingTransport(fake.transport(), fake.async_transport())
    client = batch_client(transport=counting, rate_limit=None)
    results = client.generate_many([f"Raccoon {i}" for i in range(16)], concurrency=3)
    assert all(result.ok for result in results)
    assert 2 <= counting.peak <= 3


def test_a_bad_batch_argument_is_refused(batch_client: Callable[..., Any]) -> None:
    client = batch_client()
    with pytest.raises(InvalidRequestError, match="list"):
        client.generate_many("one prompt as a string")
    with pytest.raises(InvalidRequestError, match="concurrency"):
        client.generate_many(["A raccoon"], concurrency=0)


def test_the_rate_limit_spaces_requests_on_the_clock(
    batch_client: Callable[..., Any], fake: FakeMagnific
) -> None:
    client = batch_client(rate_limit=RateLimit.per_second(10, burst=5))
    for _ in range(45):
        client.list()
    times = [request.at for request in fake.requests]
    assert times[-1] - times[0] >= (45 - 5) / 10 - 1e-9
    for first in range(len(times)):
        window = [t for t in times[first:] if t - times[first] < 0.5]
        assert len(window) <= 5


def test_the_default_rate_limit_is_inside_the_documented_per_ip_limits() -> None:
    default = RateLimit()
    assert default.windows == DEFAULT_RATE_WINDOWS
    for ours, service in zip(default.windows, SERVICE_WINDOWS, strict=True):
        assert ours.requests < service.requests  # a few percent fewer...
        assert ours.seconds > service.seconds  # ...in a little more time

    def sustained(windows: tuple[RateWindow, ...]) -> float:
        return min(window.requests / window.seconds for window in windows)

    assert sustained(default.windows) >= 0.95 * sustained(SERVICE_WINDOWS)  # 9.7/s of 10/s


def test_a_simple_rate_lets_a_burst_through_then_paces() -> None:
    clock = VirtualClock()
    governor = Governor(RateLimit.per_second(4, burst=2), clock=clock)
    waits = [governor.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.5, 0.5, 1.0], abs=1e-5)
    governor.answered(0.0)
    governor.answered(0.0)  # the two sent at once are answered
    clock.advance(10)
    assert governor.reserve() == 0.0


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: RateLimit.per_second(0), "rate"),
        (lambda: RateLimit.per_second(float("inf")), "rate"),
        (lambda: RateLimit.per_second(2, burst=0), "burst"),
        (lambda: RateLimit(windows=()), "RateLimit.windows"),
        (lambda: RateLimit(windows=((250, 5.0),)), "RateLimit.windows"),
        (lambda: RateLimit(shared=""), "RateLimit.shared"),
        (lambda: RateLimit(shared=42), "RateLimit.shared"),
    ],
)
def test_a_bad_rate_limit_is_refused(make: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        make()
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_the_schedule_backs_off_until_it_has_learned() -> None:
    schedule = PollSchedule()
    pauses, previous = [], None
    for _ in range(12):
        previous = schedule.next_interval(age=0.0, previous=previous, window=None)
        pauses.append(previous)
    assert pauses[0] == schedule.initial_interval
    assert pauses == sorted(pauses)
    assert max(pauses) == schedule.backoff_cap


def test_the_learned_window_skips_the_quiet_time_and_polls_densely_inside() -> None:
    schedule = PollSchedule()
    window = (20.0, 30.0)
    assert schedule.next_interval(age=1.0, previous=1.0, window=window) == 19.0
    # a window that opens sooner than the dense interval is slept to, not past (1-s tasks)
    assert schedule.next_interval(age=0.0, previous=None, window=(1.0, 1.1)) == 1.0
    assert schedule.next_interval(age=19.5, previous=19.0, window=window) == schedule.dense_interval
    assert schedule.next_interval(age=25.0, previous=1.7, window=window) == schedule.dense_interval
    assert schedule.next_interval(age=38.0, previous=1.7, window=window) == schedule.dense_interval
    late = schedule.next_interval(age=60.0, previous=schedule.dense_interval, window=window)
    assert schedule.dense_interval < late <= schedule.backoff_cap
    far = schedule.next_interval(age=0.5, previous=1.0, window=(500.0, 900.0))
    assert far == schedule.max_interval


def test_history_learns_per_kind_after_enough_samples() -> None:
    history, schedule = CompletionHistory(), PollSchedule(min_samples=3)
    for seconds in (10.0, 12.0):
        history.record("2K", after=seconds - 1, before=seconds)
    assert history.window("2K", schedule) is None
    history.record("2K", after=13.0, before=14.0)
    window = history.window("2K", schedule)
    assert window is not None
    opens, closes = window
    assert closes == 14.0
    assert 5.0 < opens < 9.5  # two log standard deviations before the mean
    assert history.window("4K", schedule) is None
    assert history.window("2K", PollSchedule.fixed(0.5)) is None


def test_a_client_that_has_learned_polls_less(fake: FakeMagnific) -> None:
    fake_4k = FakeMagnific(schedule=Schedule(in_progress_after=1.0, complete_after=40.0))
    with NanoBananaPro(
        api_key="test-key", transport=fake_4k.transport(), clock=fake_4k.clock
    ) as client:
        gets = []
        for _ in range(8):
            before = fake_4k.count(method="GET")
            client.generate("A raccoon", resolution="4K")
            gets.append(fake_4k.count(method="GET") - before)
    assert gets[-1] < gets[0]
    assert gets[-1] <= 6
