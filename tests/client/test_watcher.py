"""The watcher: what waits cost in requests, counted at the fake, on virtual time.

Every test runs an `AsyncNanoBananaPro` and a `FakeMagnific` sharing a `LoopClock` on a
virtual-time event loop: minutes of service time pass in a moment, as real time would order them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

from nano_banana_pro import (
    AsyncNanoBananaPro,
    BatchResult,
    NanoBananaPro,
    PollSchedule,
    RateLimit,
    Task,
    _watching,
)
from nano_banana_pro.clock import LoopClock
from nano_banana_pro.testing import FakeMagnific, Schedule, run_in_virtual_time

HOOK = "https://example.com/hook"


def in_virtual_time(
    test: Callable[[AsyncNanoBananaPro, FakeMagnific], Coroutine[Any, Any, None]],
    *,
    schedule: Schedule,
    sender: Callable[[str, dict[str, str], bytes], None] | None = None,
    rate_limit: RateLimit | None = None,
    poll_schedule: PollSchedule | None = None,
) -> FakeMagnific:
    async def main() -> FakeMagnific:
        clock = LoopClock()
        fake = FakeMagnific(clock=clock, schedule=schedule, webhook_sender=sender)
        pump = asyncio.ensure_future(fake.send_webhooks_on_time())
        async with AsyncNanoBananaPro(
            api_key="test-key",
            transport=fake.async_transport(),
            clock=clock,
            rate_limit=rate_limit,
            poll_schedule=poll_schedule,
        ) as client:
            try:
                await test(client, fake)
            finally:
                pump.cancel()
        return fake

    return run_in_virtual_time(main())


def to_watchers(url: str, headers: dict[str, str], body: bytes) -> None:
    """A webhook sender that hands each delivery to the watchers, as a receiver does."""
    _watching.deliver(Task.from_payload(json.loads(body)))


def loses_completed(url: str, headers: dict[str, str], body: bytes) -> None:
    """A sender that loses every COMPLETED delivery (the others reach the watchers)."""
    if json.loads(body)["status"] != "COMPLETED":
        to_watchers(url, headers, body)


def test_many_waits_cost_one_list_per_interval_and_one_get_per_completed_task() -> None:
    schedule = Schedule(in_progress_after=2.0, complete_after=40.0)

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        results = await client.generate_many([f"Raccoon {n}" for n in range(20)], concurrency=20)
        assert all(result.ok for result in results)

    fake = in_virtual_time(test, schedule=schedule)
    gets = fake.count(operation="get")
    lists = fake.count(operation="list")
    assert fake.count(method="POST") == 20
    assert gets == 20  # one each, to read the image URLs once the list says COMPLETED
    last = max(request.at for request in fake.requests)
    assert lists <= last / PollSchedule().list_interval + 2
    assert lists >= 10  # they did share lists rather than poll alone


def test_short_tasks_shared_by_a_list_are_seen_soon_after_they_complete() -> None:
    """1-s tasks: the shared list is at most a fifth of their time old, not 2 s (which
    would have doubled every wait)."""
    schedule = Schedule(in_progress_after=0.2, complete_after=1.0)
    waited: list[float] = []

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        await client.generate_many([f"Warm-up {n}" for n in range(5)], concurrency=1)
        created: dict[int, float] = {}

        def on_result(result: BatchResult) -> None:
            waited.append(fake.clock.monotonic() - created[result.index])

        results = await client.generate_many(
            [f"Raccoon {n}" for n in range(40)],
            concurrency=20,
            on_created=lambda index, _: created.setdefault(index, fake.clock.monotonic()),
            on_result=on_result,
        )
        assert all(result.ok for result in results)

    in_virtual_time(test, schedule=schedule)
    assert len(waited) == 40
    assert max(waited) <= 1.0 + 0.25


def test_waits_queued_behind_a_slow_list_take_its_answer() -> None:
    """A list slower than its freshness (0.2 s here) came back already stale, and each wait
    queued behind it listed again in turn: the last of 20 waited for 20 lists."""
    schedule = Schedule(in_progress_after=0.2, complete_after=1.0)
    waited: list[float] = []

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        await client.generate_many([f"Warm-up {n}" for n in range(5)], concurrency=1)
        fake.delay_next(0.5, count=10_000, on="list")
        created: dict[int, float] = {}
        lists = fake.count(operation="list")
        results = await client.generate_many(
            [f"Raccoon {n}" for n in range(20)],
            concurrency=20,
            on_created=lambda index, _: created.setdefault(index, fake.clock.monotonic()),
            on_result=lambda result: waited.append(fake.clock.monotonic() - created[result.index]),
        )
        assert all(result.ok for result in results)
        span = max(waited)
        assert fake.count(operation="list") - lists <= span / (0.5 + 0.2) + 1

    in_virtual_time(test, schedule=schedule)
    assert max(waited) <= 1.0 + 2 * (0.5 + 0.2) + 0.1


def test_a_task_created_after_the_last_list_waits_for_the_next_one() -> None:
    """New items start as others end, just after a list, and poll soon: a list older than a
    task is no news of it, not a sign the list leaves it out (which would poll it alone)."""
    schedule = Schedule(in_progress_after=2.0, complete_after=10.0)

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        results = await client.generate_many([f"Raccoon {n}" for n in range(15)], concurrency=5)
        assert all(result.ok for result in results)

    fake = in_virtual_time(
        test, schedule=schedule, poll_schedule=PollSchedule(initial_interval=0.25, learn=False)
    )
    assert fake.count(method="POST") == 15
    assert fake.count(operation="get") == 15  # one each, once listed COMPLETED


def test_waits_fed_by_webhooks_share_one_sweep_list() -> None:
    """Every COMPLETED delivery lost: the sweeps of waits fed at different times share a list."""

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        loop = asyncio.get_running_loop()
        items = [{"prompt": f"Raccoon {n}", "webhook_url": HOOK} for n in range(20)]
        results = await client.generate_many(items, concurrency=20)  # created over 20 s
        assert all(result.ok for result in results)
        assert loop.time() <= 20.0 + 40.0 + 2 * PollSchedule().webhook_sweep  # two sweeps late

    fake = in_virtual_time(
        test,
        schedule=Schedule(in_progress_after=0.5, complete_after=40.0),  # fed before a poll
        sender=loses_completed,
        rate_limit=RateLimit.per_second(1),
    )
    assert fake.count(operation="list") <= 3  # one per sweep interval, not one per wait
    assert fake.count(operation="get") == 20


def test_one_wait_alone_polls_its_task() -> None:
    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        task = await client.generate("A lone raccoon")
        assert task.is_completed

    fake = in_virtual_time(test, schedule=Schedule(in_progress_after=1.0, complete_after=6.0))
    assert fake.count(operation="list") == 0
    assert fake.count(operation="get") >= 2


def test_a_delivered_webhook_completes_a_wait_with_no_request_at_all() -> None:

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        task = await client.generate("A raccoon that reports", webhook_url=HOOK)
        assert task.is_completed
        assert task.generated  # the delivery carried the image's URL

    fake = in_virtual_time(
        test, schedule=Schedule(in_progress_after=0.5, complete_after=8.0), sender=to_watchers
    )
    assert fake.count(method="POST") == 1
    assert fake.count(operation="get") + fake.count(operation="list") == 0
    assert len(fake.webhook_deliveries) == 2


def test_a_lost_delivery_is_caught_by_the_sweep() -> None:

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        loop = asyncio.get_running_loop()
        task = await client.generate("A raccoon whose news is lost", webhook_url=HOOK)
        assert task.is_completed
        assert loop.time() <= 8.0 + 30.0 + 1.0  # within one sweep of its completion

    fake = in_virtual_time(
        test, schedule=Schedule(in_progress_after=0.5, complete_after=8.0), sender=loses_completed
    )
    assert fake.count(operation="get") == 1


def test_deliveries_out_of_order_never_take_a_wait_back() -> None:
    held: list[bytes] = []

    def reorders(url: str, headers: dict[str, str], body: bytes) -> None:
        if json.loads(body)["status"] == "IN_PROGRESS":
            held.append(body)  # arrives late, after COMPLETED
            return
        to_watchers(url, headers, body)
        for late in held:
            to_watchers(url, headers, late)

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        seen: list[str] = []
        task = await client.generate(
            "A raccoon", webhook_url=HOOK, on_update=lambda t: seen.append(str(t.status))
        )
        assert task.is_completed
        assert task.generated
        assert seen[-1] == "COMPLETED"  # the late IN_PROGRESS did not come after it

    in_virtual_time(
        test, schedule=Schedule(in_progress_after=1.0, complete_after=5.0), sender=reorders
    )
    assert held  # the late delivery did arrive, and was ignored


def test_a_task_missing_from_the_list_polls_for_itself() -> None:
    schedule = Schedule(in_progress_after=1.0, complete_after=12.0)

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        hidden = await client.create("A raccoon the list forgets")
        original = fake._list

        def partial_list() -> Any:  # an upstream list cut short
            reply = original()
            body = json.loads(reply.body)
            body["data"] = [item for item in body["data"] if item["task_id"] != hidden.task_id]
            return type(reply)(status=200, headers=reply.headers, body=json.dumps(body).encode())

        fake._list = partial_list  # type: ignore[method-assign]
        results = await client.generate_many(
            [{"task_id": hidden.task_id}, "Raccoon 1", "Raccoon 2"], concurrency=3
        )
        assert all(result.ok for result in results)

    fake = in_virtual_time(test, schedule=schedule)
    hidden_id = next(iter(fake.tasks))
    own_gets = [r for r in fake.requests if r.operation == "get" and hidden_id in r.path]
    assert len(own_gets) >= 2  # it polled for itself, and finished: it never waited forever


def test_the_blocking_client_shares_its_lists_too() -> None:
    fake = FakeMagnific(schedule=Schedule(in_progress_after=1.0, complete_after=30.0))
    with NanoBananaPro(
        api_key="test-key", transport=fake.transport(), clock=fake.clock, rate_limit=None
    ) as client:
        results = client.generate_many([f"Raccoon {n}" for n in range(6)], concurrency=6)
    assert all(result.ok for result in results)
    assert fake.count(operation="list") >= 1


def test_a_list_that_fails_is_not_tried_again_by_every_wait() -> None:
    """The list answers 500: each wait polls its own task, and the list is tried again only
    once one would be due (every wait listed, then GET, at every poll: 338 lists for 10)."""

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        fake.fail_next(500, on="list", count=10_000)
        results = await client.generate_many([f"Raccoon {n}" for n in range(10)], concurrency=10)
        assert all(result.ok for result in results)

    fake = in_virtual_time(test, schedule=Schedule(in_progress_after=2.0, complete_after=30.0))
    last = max(request.at for request in fake.requests)
    assert fake.count(operation="list") <= last / PollSchedule().list_interval + 2


def test_an_ended_delivery_without_its_urls_reads_the_task_at_once() -> None:
    """COMPLETED delivered with no image URL: the wait GETs the task then, not the stale list
    it may take (up to a sweep old), which said IN_PROGRESS and put it to sleep 30 s."""

    def without_urls(url: str, headers: dict[str, str], body: bytes) -> None:
        payload = json.loads(body)
        payload["generated"] = []
        _watching.deliver(Task.from_payload(payload))

    async def test(client: AsyncNanoBananaPro, fake: FakeMagnific) -> None:
        loop = asyncio.get_running_loop()
        items = [{"prompt": f"Raccoon {n}", "webhook_url": HOOK} for n in range(3)]
        results = await client.generate_many(items, concurrency=3)
        assert all(result.ok and result.task is not None for result in results)
        assert loop.time() <= 40.0 + 1.0  # the sweep's list at 30 s said IN_PROGRESS

    in_virtual_time(
        test, schedule=Schedule(in_progress_after=0.5, complete_after=40.0), sender=without_urls
    )
