"""wait() and generate(): deadlines, status changes, failures, and the task id never lost."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nano_banana_pro import (
    APITimeoutError,
    InvalidRequestError,
    NanoBananaProError,
    NotFoundError,
    PollSchedule,
    RateLimitError,
    ServerError,
    Task,
    TaskFailedError,
    TaskStatus,
    WaitTimeoutError,
)
from nano_banana_pro.clock import VirtualClock
from tests.client.conftest import TASK_ID, ScriptedServer, json_response, task_body

IN_PROGRESS = json_response(200, task_body("IN_PROGRESS"))
COMPLETED = json_response(200, task_body("COMPLETED", ["https://x/y.png"]))


def test_wait_returns_the_completed_task_and_reports_each_status_change(
    client: Any, server: ScriptedServer
) -> None:
    server.on(
        "GET",
        json_response(200, task_body("CREATED")),
        IN_PROGRESS,
        IN_PROGRESS,
        COMPLETED,
    )
    updates: list[Task] = []
    task = client.wait(TASK_ID, on_update=updates.append)
    assert task.is_completed
    assert task.generated == ("https://x/y.png",)
    assert [update.status for update in updates] == ["CREATED", "IN_PROGRESS", "COMPLETED"]
    assert server.count("GET") == 4


def test_wait_meets_its_deadline_while_the_server_keeps_answering_in_progress(
    make_client: Any, server: ScriptedServer, clock: VirtualClock
) -> None:
    server.on("GET", IN_PROGRESS)
    client = make_client(wait_timeout=30.0)
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait(TASK_ID)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert error.task_id == TASK_ID
    assert error.last_status == TaskStatus.IN_PROGRESS
    assert error.elapsed == pytest.approx(30.0)
    assert clock.monotonic() == pytest.approx(30.0)
    assert f"wait({TASK_ID!r})" in str(error)


def test_a_per_call_timeout_overrides_the_client_default(
    client: Any, server: ScriptedServer, clock: VirtualClock
) -> None:
    server.on("GET", IN_PROGRESS)
    with pytest.raises(WaitTimeoutError):
        client.wait(TASK_ID, wait_timeout=5.0)
    assert clock.monotonic() == pytest.approx(5.0)


def test_retries_cannot_extend_the_deadline(
    make_client: Any, server: ScriptedServer, clock: VirtualClock
) -> None:
    limited = json_response(429, {"message": "slow down"}, {"Retry-After": "50"})
    server.on("GET", IN_PROGRESS, limited)
    with pytest.raises(NanoBananaProError) as caught:
        make_client(max_retries=5).wait(TASK_ID, wait_timeout=20.0)
    assert clock.monotonic() <= 20.0
    assert caught.value.task_id == TASK_ID


@pytest.mark.parametrize("rate_limit", ["default", None])
def test_a_cooldown_left_by_an_earlier_429_cannot_extend_a_wait_either(
    make_client: Any, server: ScriptedServer, clock: VirtualClock, rate_limit: str | None
) -> None:
    limited = json_response(429, {"message": "slow down"}, {"Retry-After": "50"})
    server.on("GET", limited, IN_PROGRESS)
    client = make_client(max_retries=0, **({} if rate_limit else {"rate_limit": None}))
    with pytest.raises(RateLimitError):
        client.list()  # the whole client now cools down for 50 s
    started = clock.monotonic()

    with pytest.raises(WaitTimeoutError) as caught:
        client.wait(TASK_ID, wait_timeout=2.0)

    assert clock.monotonic() - started == pytest.approx(2.0)
    assert caught.value.task_id == TASK_ID
    assert server.count("GET") == 1  # only the list: no poll fitted before the deadline


def test_polling_starts_quickly_and_backs_off_to_a_cap(
    make_client: Any, server: ScriptedServer, clock: VirtualClock
) -> None:
    server.on("GET", IN_PROGRESS)
    schedule = PollSchedule(initial_interval=1.0, factor=2.0, backoff_cap=5.0, max_interval=5.0)
    with pytest.raises(WaitTimeoutError):
        make_client(poll_schedule=schedule).wait(TASK_ID, wait_timeout=20.0)
    assert clock.slept[:5] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert max(clock.slept) == 5.0


def test_a_failed_task_raises_task_failed_error_with_the_task(
    client: Any, server: ScriptedServer
) -> None:
    failed = task_body("FAILED")
    failed["data"]["error"] = "content policy"
    server.on("GET", IN_PROGRESS, json_response(200, failed))
    with pytest.raises(TaskFailedError) as caught:
        client.wait(TASK_ID)
    assert caught.value.task.status == TaskStatus.FAILED
    assert caught.value.task.raw["error"] == "content policy"
    assert caught.value.task_id == TASK_ID


def test_an_unknown_status_keeps_the_wait_going(client: Any, server: ScriptedServer) -> None:
    server.on("GET", json_response(200, task_body("QUEUED")), COMPLETED)
    updates: list[str] = []
    task = client.wait(TASK_ID, on_update=lambda t: updates.append(t.status))
    assert task.is_completed
    assert updates == ["QUEUED", "COMPLETED"]


def test_generate_creates_then_waits_and_shows_the_task_at_once(
    client: Any, server: ScriptedServer
) -> None:
    server.on("POST", json_response(200, task_body("CREATED")))
    server.on("GET", IN_PROGRESS, COMPLETED)
    seen: list[str] = []
    task = client.generate("A suited raccoon", on_update=lambda t: seen.append(t.task_id))
    assert task.is_completed
    assert seen
    assert seen[0] == TASK_ID
    assert server.count("POST") == 1


@pytest.mark.parametrize(
    ("failure", "error_class", "cause_class"),
    [
        (json_response(404, {"message": "AI resource not found"}), NotFoundError, None),
        # A wait rides out what a retry may cure until its deadline, then says why it ended.
        (json_response(500, {"message": "boom"}), WaitTimeoutError, ServerError),
        (httpx.ReadTimeout("slow"), WaitTimeoutError, APITimeoutError),
        (json_response(200, task_body("FAILED")), TaskFailedError, None),
    ],
)
def test_every_error_after_creation_carries_the_task_id(
    make_client: Any,
    server: ScriptedServer,
    failure: Any,
    error_class: type[Exception],
    cause_class: type[Exception] | None,
) -> None:
    server.on("POST", json_response(200, task_body("CREATED")))
    server.on("GET", failure)
    with pytest.raises(error_class) as caught:
        make_client(max_retries=1).generate("A suited raccoon", wait_timeout=60.0)
    assert caught.value.task_id == TASK_ID
    if cause_class is not None:
        assert isinstance(caught.value.__cause__, cause_class)
        assert server.count("GET") > 2  # max_retries=1 bounds single calls, not waits
    assert server.count("POST") == 1


def test_generate_times_out_with_the_task_id(make_client: Any, server: ScriptedServer) -> None:
    server.on("POST", json_response(200, task_body("CREATED")))
    server.on("GET", IN_PROGRESS)
    with pytest.raises(WaitTimeoutError) as caught:
        make_client().generate("A suited raccoon", wait_timeout=12.0)
    assert caught.value.task_id == TASK_ID


def test_a_wait_cut_short_can_be_resumed_by_id(client: Any, server: ScriptedServer) -> None:
    server.on("GET", IN_PROGRESS)
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait(TASK_ID, wait_timeout=3.0)
    server.on("GET", COMPLETED)
    assert client.wait(caught.value.task_id).is_completed


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_a_non_positive_wait_timeout_is_refused(client: Any, timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        client.wait(TASK_ID, wait_timeout=timeout)


def test_timeout_is_the_old_name_of_wait_timeout_and_warns(
    client: Any, server: ScriptedServer
) -> None:
    server.on("GET", IN_PROGRESS)
    with pytest.warns(DeprecationWarning, match="wait_timeout="), pytest.raises(WaitTimeoutError):
        client.wait(TASK_ID, timeout=3.0)
    with pytest.raises(InvalidRequestError, match="wait_timeout= only"):
        client.wait(TASK_ID, timeout=3.0, wait_timeout=3.0)
