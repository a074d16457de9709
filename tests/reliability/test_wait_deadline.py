"""Every wait has a deadline, kept on the injected clock, and a timed-out task can be resumed.

The client and the fake share the fake's VirtualClock: waits take no real time, and "on time"
is measured exactly.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nano_banana_pro import NanoBananaProError, WaitTimeoutError
from nano_banana_pro.testing import FakeMagnific, Schedule
from tests.reliability.conftest import API_KEY, FUZZ, PROMPT, client_for

SLOW = Schedule(in_progress_after=1.0, complete_after=1000.0)
#: Float noise allowed on "exactly at the deadline".
EPSILON = 1e-6


def slow_fake(schedule: Schedule = SLOW) -> FakeMagnific:
    return FakeMagnific(api_key=API_KEY, schedule=schedule)


def test_a_wait_past_its_deadline_raises_on_time_and_the_task_can_be_resumed(
    make_client: Any,
) -> None:
    fake = slow_fake()
    client = make_client(fake=fake, clock=fake.clock)
    task = client.create(PROMPT)
    start = fake.clock.monotonic()

    with pytest.raises(WaitTimeoutError) as caught:
        client.wait(task, wait_timeout=30)

    assert fake.clock.monotonic() - start == pytest.approx(30, abs=EPSILON)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert error.task_id == task.task_id
    assert error.elapsed == pytest.approx(30, abs=EPSILON)
    assert error.last_status == "IN_PROGRESS"
    assert task.task_id in str(error)
    resumed = client.wait(task.task_id, wait_timeout=2000)
    assert resumed.is_completed
    assert resumed.task_id == task.task_id
    assert fake.count(operation="create") == 1


def test_generate_past_its_deadline_says_which_task_to_resume(make_client: Any) -> None:
    fake = slow_fake()
    client = make_client(fake=fake, clock=fake.clock)

    with pytest.raises(WaitTimeoutError) as caught:
        client.generate(PROMPT, wait_timeout=45)

    (task_id,) = fake.tasks
    assert caught.value.task_id == task_id
    assert fake.clock.monotonic() == pytest.approx(45, abs=EPSILON)
    assert client.wait(caught.value.task_id, wait_timeout=2000).is_completed
    assert fake.count(operation="create") == 1


@pytest.mark.parametrize("flavour", ["sync", "async"])
@settings(FUZZ, max_examples=60)
@given(
    timeout=st.floats(min_value=0.5, max_value=400),
    complete_after=st.floats(min_value=0, max_value=800),
)
def test_a_wait_returns_or_times_out_exactly_at_its_deadline(
    flavour: str, timeout: float, complete_after: float
) -> None:
    assume(abs(complete_after - timeout) > 1e-3)
    fake = slow_fake(
        Schedule(in_progress_after=min(1.0, complete_after), complete_after=complete_after)
    )
    with client_for(flavour, fake=fake, clock=fake.clock) as client:
        task = client.create(PROMPT)
        start = fake.clock.monotonic()
        outcome: Any
        try:
            outcome = client.wait(task, wait_timeout=timeout)
        except WaitTimeoutError as error:
            outcome = error
        elapsed = fake.clock.monotonic() - start
    if isinstance(outcome, WaitTimeoutError):
        assert complete_after > timeout, "timed out although the task completed in time"
        assert elapsed == pytest.approx(timeout, abs=EPSILON)
        assert outcome.task_id == task.task_id
    else:
        assert outcome.is_completed
        assert complete_after <= elapsed <= timeout + EPSILON
    polls = fake.count(operation="get")
    assert polls <= timeout + 2, f"{polls} polls in {timeout:.1f}s: polling too often"


def test_a_poll_that_hangs_does_not_outlive_the_deadline(make_client: Any) -> None:
    fake = slow_fake()
    client = make_client(fake=fake, clock=fake.clock)  # HTTP read timeout: 30 s
    task = client.create(PROMPT)
    fake.delay_next(3600, on="get")
    start = fake.clock.monotonic()

    with pytest.raises(NanoBananaProError) as caught:
        client.wait(task, wait_timeout=10)

    overrun = fake.clock.monotonic() - start - 10
    assert overrun <= EPSILON, f"the wait ended {overrun:.1f}s after its deadline"
    assert type(caught.value) is WaitTimeoutError, repr(caught.value)
    assert caught.value.task_id == task.task_id


@pytest.mark.parametrize("retry_after", [None, 4, 50])
def test_poll_errors_never_extend_the_deadline(make_client: Any, retry_after: int | None) -> None:
    fake = slow_fake()
    client = make_client(fake=fake, clock=fake.clock)
    task = client.create(PROMPT)
    fake.fail_next(503, on="get", count=3, retry_after=retry_after)
    start = fake.clock.monotonic()

    with pytest.raises(NanoBananaProError) as caught:
        client.wait(task, wait_timeout=20)

    assert fake.clock.monotonic() - start <= 20 + EPSILON
    assert caught.value.task_id == task.task_id
    fake.advance(1000)
    assert client.wait(task.task_id, wait_timeout=600).is_completed
