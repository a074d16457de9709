"""The governor in the clients: both windows at the fake, order, the cooldown, shared budgets.

Long runs use the fake's virtual clock (exact and fast); bursts, order and the cooldown run on
the real clock, where a request's turn and its arrival differ by the scheduler's jitter, which
the default's margin is there to absorb. Two real processes share one budget file at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from nano_banana_pro import (
    AsyncNanoBananaPro,
    BudgetFileError,
    InvalidRequestError,
    NanoBananaPro,
    RateLimit,
    RateWindow,
)
from nano_banana_pro._config import DEFAULT_RATE_WINDOWS
from nano_banana_pro.clock import SystemClock
from nano_banana_pro.testing import (
    DOCUMENTED_LIMITS,
    FakeMagnific,
    documented_limits,
    peak_in_window,
)

KEY = "test-key"


def api_times(fake: FakeMagnific) -> list[float]:
    return [r.at for r in fake.requests if r.operation in ("create", "get", "list")]


def throttled(fake: FakeMagnific) -> int:
    return sum(1 for request in fake.requests if request.status == 429)


def run_calls(
    kind: str, fake: FakeMagnific, calls: Sequence[Callable[[Any], Any]], **options: Any
) -> None:
    """Make `calls` (each given the client) at once: on threads (sync) or as tasks (async)."""
    options = {"api_key": KEY, "clock": fake.clock, "max_retries": 0, **options}
    if kind == "sync":
        with (
            NanoBananaPro(transport=fake.transport(), **options) as client,
            ThreadPoolExecutor(max_workers=min(32, len(calls))) as pool,
        ):
            for future in [pool.submit(call, client) for call in calls]:
                future.result()
        return

    async def main() -> None:
        async with AsyncNanoBananaPro(transport=fake.async_transport(), **options) as client:
            await asyncio.gather(*(call(client) for call in calls))

    asyncio.run(main())


def lists(kind: str, count: int) -> list[Callable[[Any], Any]]:
    """`count` calls of `client.list()`, for `run_calls`."""

    async def call_async(client: Any) -> Any:
        return await client.list()

    return [(lambda client: client.list()) if kind == "sync" else call_async] * count


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_default_budget_holds_both_windows_over_a_long_run(kind: str) -> None:
    """3,000 calls one after another: the fake's exact documented windows never answer 429."""
    fake = FakeMagnific(rate_limits=documented_limits())
    options: dict[str, Any] = {"api_key": KEY, "clock": fake.clock, "max_retries": 0}
    if kind == "sync":
        with NanoBananaPro(transport=fake.transport(), **options) as client:
            for _ in range(3000):
                client.list()
    else:

        async def main() -> None:
            async with AsyncNanoBananaPro(transport=fake.async_transport(), **options) as client:
                for _ in range(3000):
                    await client.list()

        asyncio.run(main())

    assert throttled(fake) == 0
    times = api_times(fake)
    for ours, service in zip(DEFAULT_RATE_WINDOWS, DOCUMENTED_LIMITS, strict=True):
        assert peak_in_window(times, service.seconds) <= service.requests
        assert (
            peak_in_window(times, ours.seconds) == ours.requests
        )  # every window used to its budget
    assert times[-1] < 2 * 120.5 + 11  # 3,000 = 2 x 1,170 + 660: two long windows and a bit


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_default_budget_gets_no_429_from_a_burst_on_real_time(kind: str) -> None:
    """600 calls at once, the documented windows 20 times shorter, the default's as well.

    The short window sets the pace (240 per 0.26 s against the fake's 250 per 0.25 s), so the
    margin must absorb how much closer together requests arrive than their turns were. (The
    long window on real time is benchmark B8's; here it holds on the virtual clock, above.)
    """
    scale = 0.05
    fake = FakeMagnific(clock=SystemClock(), rate_limits=documented_limits(time_scale=scale))
    budget = RateLimit(windows=tuple(window.scaled(scale) for window in DEFAULT_RATE_WINDOWS))

    run_calls(kind, fake, lists(kind, 600), rate_limit=budget)

    assert throttled(fake) == 0
    times = api_times(fake)
    assert len(times) == 600
    assert times[-1] - times[0] >= 2 * DEFAULT_RATE_WINDOWS[0].seconds * scale - 0.05


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_call_that_comes_later_queues_behind_those_waiting(kind: str) -> None:
    """First come, first sent: a late call never jumps the queue, however it is scheduled."""
    fake = FakeMagnific(clock=SystemClock())
    task_ids = _made_tasks(fake, 6)

    def get(task_id: str, *, after: float) -> Callable[[Any], Any]:
        async def call_async(client: Any) -> Any:
            await asyncio.sleep(after)
            return await client.get(task_id)

        def call_sync(client: Any) -> Any:
            time.sleep(after)
            return client.get(task_id)

        return call_sync if kind == "sync" else call_async

    early = [get(task_id, after=0.0) for task_id in task_ids[:5]]
    run_calls(
        kind,
        fake,
        [*early, get(task_ids[5], after=0.05)],
        rate_limit=RateLimit.per_second(20, burst=1),
    )

    order = [
        request.path.rsplit("/", 1)[-1] for request in fake.requests if request.method == "GET"
    ]
    assert order[-1] == task_ids[5]  # behind the five queued before it (0.25 s of turns)
    gets = [r.at for r in fake.requests if r.method == "GET"]
    assert all(b - a >= 0.03 for a, b in itertools.pairwise(gets))  # one per 50 ms


def _made_tasks(fake: FakeMagnific, count: int) -> list[str]:
    with NanoBananaPro(api_key=KEY, transport=fake.transport(), rate_limit=None) as client:
        made = [client.create(f"A raccoon, number {n}").task_id for n in range(count)]
    fake.requests.clear()
    return made


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_429s_cooldown_holds_back_the_calls_already_waiting_their_turn(kind: str) -> None:
    fake = FakeMagnific(clock=SystemClock())
    fake.fail_next(429, on="list", retry_after=0.5)

    run_calls(
        kind, fake, lists(kind, 8), rate_limit=RateLimit.per_second(20, burst=1), max_retries=1
    )

    first, *others = fake.requests
    assert first.status == 429
    # Their turns were 50 ms apart from the start: each waited for the cooldown instead.
    assert all(request.at >= first.at + 0.5 for request in others)
    assert [request.status for request in others] == [200] * 8  # the 8 calls, one retried


def test_the_client_refuses_what_is_not_a_rate_limit() -> None:
    with pytest.raises(InvalidRequestError, match="rate_limit"):
        NanoBananaPro(api_key=KEY, rate_limit=8)  # type: ignore[arg-type]


# --- processes sharing one budget ---------------------------------------------------------------

#: Tight windows, so that two processes run into them within a second or two.
SHARED_WINDOWS = (RateWindow(requests=10, seconds=0.3), RateWindow(requests=30, seconds=1.5))
#: How much closer the fake may see two requests than their turns: the scheduler's and the
#: loopback's jitter between a turn and the request's arrival.
JITTER = 0.03
_WORKER = """
import sys
from concurrent.futures import ThreadPoolExecutor
from nano_banana_pro import NanoBananaPro, RateLimit, RateWindow

base_url, budget, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
windows = (RateWindow(requests=10, seconds=0.3), RateWindow(requests=30, seconds=1.5))
limit = RateLimit(windows=windows, shared=budget)
options = {"base_url": base_url, "rate_limit": limit, "max_retries": 0}
with NanoBananaPro(api_key="test-key", **options) as client, ThreadPoolExecutor(4) as pool:
    for future in [pool.submit(client.list) for _ in range(calls)]:
        future.result()
"""


def run_processes(base_url: str, budgets: Sequence[Path], calls: int) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, base_url, str(budget), str(calls)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for budget in budgets
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err


def test_two_processes_on_one_budget_file_never_exceed_it_together(tmp_path: Path) -> None:
    fake = FakeMagnific(clock=SystemClock())
    budget = tmp_path / "budget.sqlite"
    with fake.serve() as base_url:
        run_processes(base_url, [budget, budget], calls=40)

    times = api_times(fake)
    assert len(times) == 80
    for window in SHARED_WINDOWS:
        assert peak_in_window(times, window.seconds - JITTER) <= window.requests, (window, times)
    assert times[-1] - times[0] >= 2 * 1.5 - JITTER  # 80 = 30 + 30 + 20, at 30 per 1.5 s


def test_two_processes_on_two_files_go_over_together(tmp_path: Path) -> None:
    """The check above can fail: with a budget each, together they send twice as much."""
    fake = FakeMagnific(clock=SystemClock())
    with fake.serve() as base_url:
        run_processes(base_url, [tmp_path / "one.sqlite", tmp_path / "two.sqlite"], calls=10)

    assert peak_in_window(api_times(fake), SHARED_WINDOWS[0].seconds) > SHARED_WINDOWS[0].requests


def test_the_docs_state_the_default_budget() -> None:
    short, long = DEFAULT_RATE_WINDOWS
    stated = (
        f"{short.requests:,} requests in any {short.seconds:g} s, "
        f"and {long.requests:,} in any {long.seconds:g} s"
    )
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert stated in " ".join(readme.split())
    assert stated in " ".join((RateLimit.__doc__ or "").split())


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_budget_file_failing_after_a_billed_create_never_loses_the_task(
    kind: str, tmp_path: Path
) -> None:
    """The answer's bookkeeping failed (the shared file locked too long) after the POST made a
    task: the task came back anyway, not a BudgetFileError that a batch took as 'not sent'."""
    fake = FakeMagnific()

    def locked(sent_at: float) -> None:
        raise BudgetFileError("the budget file stayed locked")

    async def generate(client: AsyncNanoBananaPro) -> list[Any]:
        return await client.generate_many(["A red fox"], ledger=tmp_path / "run.sqlite")

    options: dict[str, Any] = {"api_key": KEY, "clock": fake.clock}
    limit = RateLimit(windows=DEFAULT_RATE_WINDOWS, shared=tmp_path / "budget.sqlite")
    if kind == "sync":
        with NanoBananaPro(transport=fake.transport(), rate_limit=limit, **options) as client:
            client._core._governor.answered = locked  # type: ignore[method-assign]
            [result] = client.generate_many(["A red fox"], ledger=tmp_path / "run.sqlite")
    else:

        async def main() -> list[Any]:
            async with AsyncNanoBananaPro(
                transport=fake.async_transport(), rate_limit=limit, **options
            ) as client:
                client._core._governor.answered = locked  # type: ignore[method-assign]
                return await generate(client)

        [result] = asyncio.run(main())
    assert result.ok
    assert fake.count(method="POST") == 1
