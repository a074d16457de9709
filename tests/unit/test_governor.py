"""The governor alone: windows, order, cooldown, and the budget file shared by governors."""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from nano_banana_pro import BudgetFileError, InvalidRequestError, RateLimit, RateWindow
from nano_banana_pro._budget_file import SCHEMA_VERSION
from nano_banana_pro._governor import Governor
from nano_banana_pro.clock import VirtualClock
from nano_banana_pro.ledger import TaskLedger
from nano_banana_pro.testing import peak_in_window

TIGHT = (RateWindow(requests=5, seconds=1.0), RateWindow(requests=12, seconds=6.0))


def slots(governor: Governor, clock: VirtualClock, count: int) -> list[float]:
    """The turns of `count` requests that all ask now (those sent now stay in flight)."""
    return [clock.monotonic() + governor.reserve() for _ in range(count)]


def request(governor: Governor, clock: VirtualClock, *, latency: float = 0.0) -> float:
    """One request, from asking to its answer `latency` later, on the clock; when it was sent."""
    pause = governor.reserve()
    while pause > 0:
        clock.advance(pause)
        pause = governor.confirm()
    sent = clock.monotonic()
    clock.advance(latency)
    governor.answered(sent)
    return sent


def test_every_window_holds_at_any_instant_and_the_budget_is_used() -> None:
    clock = VirtualClock()
    governor = Governor(RateLimit(windows=TIGHT), clock=clock)

    times = [request(governor, clock) for _ in range(100)]

    assert times == sorted(times)
    for window in TIGHT:
        assert peak_in_window(times, window.seconds) == window.requests  # held, and used in full
    # 12 per 6 s sets the pace (5, 5, 2 each 6 s): the last 4 of 100 go after 8 such windows.
    assert times[-1] == pytest.approx(8 * 6.0, abs=1e-3)


def test_a_reservation_waits_only_as_long_as_a_window_needs() -> None:
    clock = VirtualClock()
    governor = Governor(RateLimit(windows=TIGHT), clock=clock)
    assert [request(governor, clock) for _ in range(5)] == [0.0] * 5  # as the short window allows
    clock.advance(10.0)  # a quiet spell: both windows empty again
    assert governor.reserve() == 0.0


@pytest.mark.parametrize(
    ("rate", "burst", "window"),
    [
        (8, None, RateWindow(requests=8, seconds=1.0)),
        (0.5, None, RateWindow(requests=1, seconds=2.0)),
        (2.5, None, RateWindow(requests=2, seconds=0.8)),
        (10, 5, RateWindow(requests=5, seconds=0.5)),
    ],
)
def test_per_second_is_one_window(rate: float, burst: int | None, window: RateWindow) -> None:
    assert RateLimit.per_second(rate, burst=burst) == RateLimit(windows=(window,))


@pytest.mark.parametrize(
    ("requests", "seconds", "field"),
    [
        (0, 5.0, "RateWindow.requests"),
        (True, 5.0, "RateWindow.requests"),
        (2.5, 5.0, "RateWindow.requests"),
        (250, 0, "RateWindow.seconds"),
        (250, math.nan, "RateWindow.seconds"),
        (250, math.inf, "RateWindow.seconds"),
        (250, "5", "RateWindow.seconds"),
    ],
)
def test_a_nonsense_window_is_refused(requests: object, seconds: object, field: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        RateWindow(requests=requests, seconds=seconds)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_windows_scale_in_time_only() -> None:
    assert RateWindow(requests=250, seconds=5.0).scaled(0.01) == RateWindow(
        requests=250, seconds=0.05
    )
    with pytest.raises(InvalidRequestError, match="time_scale"):
        RateWindow(requests=250, seconds=5.0).scaled(0)


def test_a_rate_limit_is_keyword_only_and_frozen() -> None:
    limit = RateLimit(windows=[RateWindow(requests=1, seconds=1.0)])  # type: ignore[arg-type]
    assert limit.windows == (RateWindow(requests=1, seconds=1.0),)  # a list becomes a tuple
    with pytest.raises(TypeError):
        RateLimit(TIGHT)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        limit.shared = "budget.sqlite"  # type: ignore[misc]
    with pytest.raises(InvalidRequestError, match="rate_limit: pass a RateLimit"):
        Governor("8/s", clock=VirtualClock())  # type: ignore[arg-type]


def test_reservations_from_many_threads_queue_without_breaking_a_window() -> None:
    clock = VirtualClock()
    governor = Governor(RateLimit(windows=TIGHT), clock=clock)
    per_thread: dict[int, list[float]] = {}

    def reserve_many(thread: int) -> None:
        per_thread[thread] = slots(governor, clock, 50)

    threads = [threading.Thread(target=reserve_many, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [at for times in per_thread.values() for at in times]
    assert len(every) == 400
    for window in TIGHT:
        assert peak_in_window(every, window.seconds) <= window.requests
    assert all(times == sorted(times) for times in per_thread.values())


def test_a_cooldown_holds_back_new_requests_and_those_already_waiting() -> None:
    clock = VirtualClock()
    governor = Governor(RateLimit.per_second(1, burst=1), clock=clock)
    request(governor, clock)  # sent and answered at 0
    waiting = governor.reserve()  # its turn is in 1 s
    assert waiting == pytest.approx(1.0, abs=1e-5)

    governor.cool_down(5.0)  # a 429 with Retry-After: 5, meanwhile
    assert governor.reserve() == pytest.approx(5.0, abs=1e-5)  # a new request waits it out
    clock.advance(waiting)
    again = governor.confirm()  # the one that was waiting takes a new turn after it...
    assert clock.monotonic() + again >= 5.0
    assert clock.monotonic() + again == pytest.approx(6.0, abs=1e-4)  # ...behind the new one
    clock.advance(again)
    assert governor.confirm() == 0.0  # no cooldown began while it waited again


def test_a_request_counts_until_its_answer_has_been_a_window_old() -> None:
    """The service counted it at some instant before its answer: a slow one holds the next."""
    clock = VirtualClock()
    governor = Governor(RateLimit.per_second(1, burst=1), clock=clock)
    assert request(governor, clock, latency=0.5) == 0.0  # answered at 0.5
    clock.advance(0.5)  # at 1.0: 1 s after it was sent, but not after its answer
    assert governor.reserve() == pytest.approx(0.5, abs=1e-5)
    clock.advance(0.5 + 1e-5)
    assert governor.confirm() == 0.0  # sent at 1.5
    governor.answered(clock.monotonic())
    # Turns now allow for the 0.5 s an answer took: the next one in 1.5 s, not 1 s.
    assert governor.reserve() == pytest.approx(1.5, abs=1e-4)


def test_requests_in_flight_fill_a_window_until_they_are_answered() -> None:
    clock = VirtualClock()
    governor = Governor(RateLimit(windows=(RateWindow(requests=2, seconds=1.0),)), clock=clock)
    assert [governor.reserve(), governor.reserve()] == [0.0, 0.0]  # both in flight
    clock.advance(5.0)  # no answer yet, however long ago they were sent
    wait = governor.reserve()
    assert wait > 0
    clock.advance(wait)
    assert governor.confirm() > 0  # still in flight: still no room
    governor.answered(0.0)
    governor.answered(0.0)  # both answered now, at 5 + the wait
    assert clock.monotonic() + governor.confirm() == pytest.approx(5.0 + wait + 1.0, abs=1e-4)


def test_a_wait_is_never_shorter_than_the_clock_can_tell() -> None:
    """One rounding step before `answer + W + edge`, the wait was that step (2.8e-14 s): an
    asyncio loop runs a timer that close at once, its time does not move, and in virtual time
    the request asked again for ever (B6 hung so on one seed)."""
    answer = 144.73735204710718 - 120.5 - 1e-6
    clock = VirtualClock(start=answer)
    limit = RateLimit(windows=[RateWindow(requests=1, seconds=120.5)])
    governor = Governor(limit, clock=clock)
    assert governor.reserve() == 0
    governor.answered(clock.monotonic())
    clock.advance(120.5)
    while clock.monotonic() < math.nextafter(answer + 120.5 + 1e-6, 0):
        clock.advance(math.nextafter(answer + 120.5 + 1e-6, 0) - clock.monotonic())
    pause = governor.reserve()
    assert pause == 0 or pause >= 1e-9


def test_without_a_limit_only_the_cooldown_holds_requests_back() -> None:
    clock = VirtualClock()
    governor = Governor(None, clock=clock)
    assert [governor.reserve() for _ in range(1000)] == [0.0] * 1000
    governor.cool_down(3.0)
    assert governor.reserve() == 3.0
    governor.cool_down(1.0)
    assert governor.reserve() == 3.0  # a cooldown is never shortened


# --- the budget file ------------------------------------------------------------------------


def shared(path: Path, windows: tuple[RateWindow, ...] = TIGHT) -> RateLimit:
    return RateLimit(windows=windows, shared=path)


def test_two_governors_on_one_file_share_the_budget(tmp_path: Path) -> None:
    clock = VirtualClock()
    budget = tmp_path / "budget.sqlite"
    governors = [Governor(shared(budget), clock=clock) for _ in range(2)]
    per_thread: dict[int, list[float]] = {}

    def reserve_many(index: int) -> None:
        per_thread[index] = slots(governors[index], clock, 60)

    threads = [threading.Thread(target=reserve_many, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [at for times in per_thread.values() for at in times]
    for window in TIGHT:
        assert peak_in_window(every, window.seconds) == window.requests  # together, never over
    for governor in governors:
        governor.close()


def test_two_governors_on_two_files_would_go_over_together(tmp_path: Path) -> None:
    """The check above can fail: without a shared file, each takes the whole budget."""
    clock = VirtualClock()
    governors = [Governor(shared(tmp_path / f"{n}.sqlite"), clock=clock) for n in range(2)]
    every = [at for governor in governors for at in slots(governor, clock, 60)]
    assert peak_in_window(every, TIGHT[0].seconds) == 2 * TIGHT[0].requests


def test_requests_in_flight_in_another_process_count_here(tmp_path: Path) -> None:
    clock = VirtualClock()
    budget = tmp_path / "budget.sqlite"
    first, second = (Governor(shared(budget), clock=clock) for _ in range(2))
    assert slots(first, clock, 5) == [0.0] * 5  # in flight, not answered yet
    clock.advance(2.0)
    assert second.reserve() > 0
    for _ in range(5):
        first.answered(0.0)
    assert second.confirm() == pytest.approx(1.0, abs=1e-4)  # a window after those answers


def test_requests_of_a_process_that_died_count_until_their_deadline(tmp_path: Path) -> None:
    clock = VirtualClock()
    budget = tmp_path / "budget.sqlite"
    dead = Governor(shared(budget), clock=clock, request_seconds=30.0)
    slots(dead, clock, 5)  # in flight when its process died
    dead.close()
    alive = Governor(shared(budget), clock=clock)
    assert 31.0 <= request(alive, clock) < 31.5  # deadline + window; it looked now and then


def test_a_cooldown_reaches_every_governor_of_the_file(tmp_path: Path) -> None:
    clock = VirtualClock()
    first, second = (Governor(shared(tmp_path / "budget.sqlite"), clock=clock) for _ in range(2))
    first.cool_down(7.0)
    assert second.reserve() == pytest.approx(7.0)


def test_each_process_keeps_its_own_windows_over_everyones_sends(tmp_path: Path) -> None:
    clock = VirtualClock()
    budget = tmp_path / "budget.sqlite"
    small = Governor(shared(budget, (RateWindow(requests=2, seconds=10.0),)), clock=clock)
    large = Governor(shared(budget, (RateWindow(requests=50, seconds=10.0),)), clock=clock)
    assert [request(large, clock) for _ in range(30)] == [0.0] * 30  # the file keeps 50
    assert small.reserve() == pytest.approx(10.0, abs=1e-5)  # 30 already sent in 10 s
    assert large.reserve() == pytest.approx(10.0, abs=1e-5)  # behind it: first come, first sent


def test_the_budget_survives_closing_and_reopening(tmp_path: Path) -> None:
    clock = VirtualClock()
    budget = tmp_path / "budget.sqlite"
    governor = Governor(shared(budget), clock=clock)
    for _ in range(5):
        request(governor, clock)
    governor.close()
    assert governor.reserve() == pytest.approx(1.0, abs=1e-5)  # opened again, remembers
    governor.close()
    assert Governor(shared(budget), clock=clock).reserve() == pytest.approx(1.0, abs=1e-5)


def test_times_left_by_an_earlier_boot_are_forgotten(tmp_path: Path) -> None:
    clock = VirtualClock()
    budget = tmp_path / "budget.sqlite"
    governor = Governor(shared(budget), clock=clock)
    slots(governor, clock, 30)  # turns up to 12 s ahead, 5 requests in flight
    governor.cool_down(60.0)
    governor.close()
    with sqlite3.connect(budget) as connection:  # as if written before a reboot, a day ago
        connection.execute("UPDATE settings SET value = value - 86400 WHERE name = 'boot'")

    assert Governor(shared(budget), clock=clock).reserve() == 0.0


def test_the_same_boot_keeps_the_times_ahead(tmp_path: Path) -> None:
    clock = VirtualClock()
    budget = tmp_path / "budget.sqlite"
    slots(Governor(shared(budget), clock=clock), clock, 30)
    assert Governor(shared(budget), clock=clock).reserve() > 0


def write_text(path: Path) -> None:
    path.write_text("not a database, but someone's notes\n" * 100)


def write_ledger(path: Path) -> None:
    TaskLedger(path).close()


def write_newer_budget(path: Path) -> None:
    Governor(shared(path), clock=VirtualClock()).close()
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def write_budget_without_settings(path: Path) -> None:
    Governor(shared(path), clock=VirtualClock()).close()
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM settings")


@pytest.mark.parametrize(
    ("write", "says"),
    [
        (write_text, "cannot be used"),
        (write_ledger, "is not a budget file"),
        (write_newer_budget, "written by a newer magnific-nano-banana-pro"),
        (write_budget_without_settings, "is damaged"),
    ],
)
def test_a_file_that_is_not_a_budget_is_refused_and_left_as_it_is(
    tmp_path: Path, write: Callable[[Path], None], says: str
) -> None:
    path = tmp_path / "budget.sqlite"
    write(path)
    before = path.read_bytes()

    with pytest.raises(BudgetFileError, match=says) as caught:
        Governor(shared(path), clock=VirtualClock())

    assert str(path) in str(caught.value)
    assert path.read_bytes() == before


def test_a_budget_file_in_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BudgetFileError, match="cannot be used"):
        Governor(shared(tmp_path / "missing" / "budget.sqlite"), clock=VirtualClock())


def test_a_file_locked_by_another_process_too_long_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nano_banana_pro._budget_file._LOCK_TIMEOUT", 0.05)
    path = tmp_path / "budget.sqlite"
    governor = Governor(shared(path), clock=VirtualClock())
    governor.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(BudgetFileError, match="stayed locked by another process"):
            governor.reserve()
        assert time.monotonic() - started < 5
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert governor.reserve() == 0.0
