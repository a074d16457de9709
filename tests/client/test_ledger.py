"""The task ledger, alone and under `generate_many`: no task created twice, none lost."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nano_banana_pro import (
    AmbiguousCreateError,
    AsyncNanoBananaPro,
    InvalidRequestError,
    LedgerError,
    NanoBananaPro,
    PollSchedule,
    TaskLedger,
)
from nano_banana_pro.clock import SystemClock
from nano_banana_pro.ledger import ItemState, item_key
from nano_banana_pro.testing import FakeMagnific, RateWindow, Schedule, documented_limits
from tests.client.conftest import AsyncDriven

PROMPTS = ["A red fox", "A blue whale", "A green frog"]


@pytest.fixture
def fake() -> FakeMagnific:
    return FakeMagnific(schedule=Schedule(in_progress_after=1.0, complete_after=3.0))


@pytest.fixture(params=["sync", "async"])
def make_client(request: pytest.FixtureRequest, fake: FakeMagnific) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**options: Any) -> Any:
        options = {"api_key": "test-key", "clock": fake.clock, **options}
        if request.param == "sync":
            client: Any = NanoBananaPro(transport=fake.transport(), **options)
        else:
            client = AsyncDriven(AsyncNanoBananaPro(transport=fake.async_transport(), **options))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def posts(fake: FakeMagnific) -> int:
    return fake.count(method="POST")


# --- the ledger alone -------------------------------------------------------------------------


def test_a_new_ledger_records_each_step_durably(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    key = item_key({"prompt": "A fox"}, 0)
    with TaskLedger(path) as ledger, ledger.run():
        ledger.register([(key, {"prompt": "A fox"})])
        ledger.mark_creating(key)
        ledger.mark_created(key, task_id="t-1", status="CREATED")
    with TaskLedger(path) as reopened:
        [item] = reopened.items()
    assert (item.key, item.state, item.task_id, item.status) == (key, "created", "t-1", "CREATED")
    assert [step for step, _ in item.history] == ["creating", "created"]
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_key_is_the_content_and_its_occurrence() -> None:
    body = {"prompt": "A fox", "aspect_ratio": "1:1"}
    assert item_key(body, 0) == item_key(dict(reversed(body.items())), 0)
    assert item_key(body, 0) != item_key(body, 1)
    assert item_key(body, 0) != item_key({**body, "aspect_ratio": "16:9"}, 0)


def test_an_item_left_creating_by_a_crash_is_ambiguous_on_the_next_run(tmp_path: Path) -> None:
    key = item_key({"prompt": "A fox"}, 0)
    with TaskLedger(tmp_path / "run.sqlite") as ledger, ledger.run():
        ledger.register([(key, {"prompt": "A fox"})])
        ledger.mark_creating(key)  # and the process dies with the POST in flight
    with TaskLedger(tmp_path / "run.sqlite") as ledger, ledger.run():
        item = ledger.get(key)
    assert item is not None
    assert (item.state, item.error_type) == (ItemState.AMBIGUOUS, "AmbiguousCreateError")


def test_one_run_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    with (
        TaskLedger(path) as first,
        first.run(),
        first.run(),  # reentrant for its holder
        TaskLedger(path) as second,
        pytest.raises(LedgerError, match="in use by another"),
        second.run(),
    ):
        pass
    with TaskLedger(path) as third, third.run():  # released
        pass


def test_a_ledger_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    TaskLedger(path).close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 2")
    connection.close()
    with pytest.raises(LedgerError, match=r"newer .*schema 2, this one reads 1"):
        TaskLedger(path)


@pytest.mark.parametrize(
    "content", [b"not a database at all", b"SQLite format 3\x00" + b"\x07" * 200]
)
def test_a_corrupt_ledger_is_reported_and_never_overwritten(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "run.sqlite"
    path.write_bytes(content)
    with pytest.raises(LedgerError, match="it was left as it is"):
        TaskLedger(path)
    assert path.read_bytes() == content


def test_another_programs_sqlite_file_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE mine (x)")
    connection.commit()
    connection.close()
    with pytest.raises(LedgerError, match="not a task ledger"):
        TaskLedger(path)


# --- generate_many on a ledger ------------------------------------------------------------------


def test_a_second_call_with_the_same_ledger_creates_nothing(
    make_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    ledger = tmp_path / "run.sqlite"
    first = make_client().generate_many(PROMPTS, ledger=ledger, download_to=tmp_path / "out")
    assert all(result.ok for result in first)
    assert posts(fake) == 3
    gets = fake.count(method="GET")

    again = make_client().generate_many(
        list(reversed(PROMPTS)), ledger=ledger, download_to=tmp_path / "out"
    )

    assert posts(fake) == 3
    assert all(result.ok and result.recorded for result in again)
    assert [r.task_id for r in again] == [r.task_id for r in reversed(first)]
    assert fake.count(method="GET") == gets  # again: no request at all


def test_a_ledger_object_works_for_both_clients(
    make_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    with TaskLedger(tmp_path / "run.sqlite") as ledger:
        make_client().generate_many(PROMPTS[:1], ledger=ledger)
        [result] = make_client().generate_many(PROMPTS[:1], ledger=ledger)
        [item] = ledger.items()
    assert result.recorded
    assert item.state == ItemState.COMPLETED
    assert posts(fake) == 1


def test_an_ambiguous_create_is_not_repeated_unless_asked(
    make_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    ledger = tmp_path / "run.sqlite"
    fake.drop_next(on="create", after_processing=True)  # the task is made, its answer lost

    [lost] = make_client().generate_many(["A red fox"], ledger=ledger)
    [again] = make_client().generate_many(["A red fox"], ledger=ledger)

    assert isinstance(lost.error, AmbiguousCreateError)
    assert lost.error.request is None
    assert "nano-banana-pro list" in str(lost.error)
    assert isinstance(again.error, AmbiguousCreateError)
    assert again.recorded
    assert posts(fake) == 1
    [recreated] = make_client().generate_many(["A red fox"], ledger=ledger, recreate_ambiguous=True)
    assert recreated.ok
    assert posts(fake) == 2


class FailingDisk:
    """A ledger's SQLite connection on a disk that fills up: writes matching `fails` raise."""

    def __init__(self, real: sqlite3.Connection, fails: Callable[[str, Any], bool]) -> None:
        self.real, self.fails = real, fails

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        if self.fails(sql, parameters):
            raise sqlite3.OperationalError("database or disk is full")
        return self.real.execute(sql, parameters)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        if self.fails(sql, rows):
            raise sqlite3.OperationalError("database or disk is full")
        return self.real.executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        return self.real.in_transaction

    def close(self) -> None:
        self.real.close()


def fill_the_disk(ledger: TaskLedger, fails: Callable[[str, Any], bool]) -> None:
    ledger._connection = FailingDisk(ledger._connection, fails)  # type: ignore[assignment]


def test_every_failure_of_the_ledgers_file_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    key = item_key({"prompt": "A fox"}, 0)
    error = ValueError("refused")
    with TaskLedger(path) as ledger:
        fill_the_disk(ledger, lambda sql, parameters: True)
        for use in [
            lambda: ledger.register([(key, {"prompt": "A fox"})]),
            lambda: ledger.get(key),
            ledger.items,
            lambda: ledger.mark_creating(key),
            lambda: ledger.mark_created(key, task_id="t-1", status="CREATED"),
            lambda: ledger.mark_ambiguous(key, error),
            lambda: ledger.mark_failed(key, task_id="t-1", status="FAILED", error=error),
            lambda: ledger.mark_completed(key, task_id="t-1", files=[]),
            lambda: ledger.note(key, status="IN_PROGRESS", error=None),
            lambda: ledger.record_completion_time("1K", after=1.0, before=2.0),
            lambda: ledger.completion_times(keep=5),
        ]:
            with pytest.raises(LedgerError, match="could not be written or read") as raised:
                use()
            assert str(path) in str(raised.value)
            assert "disk is full" in str(raised.value)


def test_a_lone_surrogate_from_the_service_is_stored_not_raised(tmp_path: Path) -> None:
    key = item_key({"prompt": "A fox"}, 0)
    with TaskLedger(tmp_path / "run.sqlite") as ledger:
        ledger.register([(key, {"prompt": "A fox"})])
        ledger.mark_created(key, task_id="t-\ud800", status="QUEUED\ud800")
        ledger.note(key, error=ValueError("the service said \ud800"))
        [item] = ledger.items()
    assert (item.task_id, item.status) == ("t-\\ud800", "QUEUED\\ud800")
    assert item.error == "the service said \\ud800"


def test_a_damaged_row_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    key = item_key({"prompt": "A fox"}, 0)
    with TaskLedger(path) as ledger:
        ledger.register([(key, {"prompt": "A fox"})])
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE items SET files = 'not json', history = 'nor this'")
    with TaskLedger(path) as ledger:
        with pytest.raises(LedgerError, match="damaged"):
            ledger.items()
        with pytest.raises(LedgerError, match="damaged"):
            ledger.mark_creating(key)


def test_a_task_the_ledger_cannot_record_is_still_named_and_never_created_again(
    make_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    created: list[str] = []
    with TaskLedger(tmp_path / "run.sqlite") as ledger:
        fill_the_disk(ledger, lambda sql, values: sql.startswith("UPDATE") and "created" in values)

        [result] = make_client().generate_many(
            ["A red fox"], ledger=ledger, on_created=lambda _, task: created.append(task.task_id)
        )

    assert isinstance(result.error, LedgerError)
    [task_id] = fake.tasks
    assert result.task_id == task_id
    assert created == [task_id]
    with TaskLedger(tmp_path / "run.sqlite") as healthy:
        [again] = make_client().generate_many(["A red fox"], ledger=healthy)
    assert isinstance(again.error, AmbiguousCreateError)  # recorded as sent: not sent again
    assert posts(fake) == 1


def test_a_task_whose_sidecar_cannot_be_read_from_the_ledger_is_still_named(
    make_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    armed: list[bool] = []
    with TaskLedger(tmp_path / "run.sqlite") as ledger:
        fill_the_disk(ledger, lambda sql, values: bool(armed) and sql.startswith("SELECT *"))
        [result] = make_client().generate_many(
            ["A red fox"],
            ledger=ledger,
            download_to=tmp_path / "out",
            on_created=lambda *_: armed.append(True),
        )
    [task_id] = fake.tasks
    assert isinstance(result.error, LedgerError)
    assert result.task_id == task_id
    assert result.task is not None


def test_a_failed_commit_leaves_the_ledger_usable_and_says_why(tmp_path: Path) -> None:
    key = item_key({"prompt": "A fox"}, 0)
    with TaskLedger(tmp_path / "run.sqlite") as ledger:
        ledger.register([(key, {"prompt": "A fox"})])
        failing = [True]
        fill_the_disk(ledger, lambda sql, values: sql == "COMMIT" and bool(failing))
        with pytest.raises(LedgerError, match="disk is full"):
            ledger.mark_creating(key)
        failing.clear()
        ledger.mark_created(key, task_id="t-1", status="CREATED")  # not stuck in a transaction
        [item] = ledger.items()
    assert (item.state, item.task_id) == (ItemState.CREATED, "t-1")


def test_a_write_sqlite_rolled_back_itself_reports_the_first_error(tmp_path: Path) -> None:
    key = item_key({"prompt": "A fox"}, 0)
    with TaskLedger(tmp_path / "run.sqlite") as ledger:
        ledger.register([(key, {"prompt": "A fox"})])
        real = ledger._connection

        def full(sql: str, values: Any) -> bool:
            if not sql.startswith("UPDATE"):
                return False
            real.execute("ROLLBACK")  # as SQLite does on SQLITE_FULL
            return True

        fill_the_disk(ledger, full)
        with pytest.raises(LedgerError, match="disk is full"):
            ledger.mark_creating(key)


def test_a_ledger_that_cannot_record_the_intent_sends_nothing(
    make_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    with TaskLedger(tmp_path / "run.sqlite") as ledger:
        fill_the_disk(ledger, lambda sql, values: sql.startswith("UPDATE") and "creating" in values)
        results = make_client().generate_many(PROMPTS, ledger=ledger)

    assert all(isinstance(result.error, LedgerError) for result in results)
    assert posts(fake) == 0


def test_a_download_folder_that_cannot_be_used_sends_nothing(
    make_client: Callable[..., Any], fake: FakeMagnific, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    with pytest.raises(InvalidRequestError, match="exists and is not a folder"):
        make_client().generate_many(PROMPTS, download_to=blocker)
    for unusable in [tmp_path / ("a" * 300), f"{tmp_path}/nul\0byte"]:  # too long; a NUL
        with pytest.raises(InvalidRequestError, match="cannot create"):
            make_client().generate_many(PROMPTS, download_to=unusable)
    assert fake.requests == []


def test_a_wait_rides_out_429s_past_max_retries_until_its_deadline(
    make_client: Callable[..., Any], fake: FakeMagnific
) -> None:
    client = make_client(max_retries=1)
    task = client.create("A red fox")
    fake.fail_next(429, on="get", count=6, retry_after=1)

    done = client.wait(task, wait_timeout=60)

    assert done.is_completed
    assert fake.count(method="GET") >= 7


def test_a_429s_retry_after_pauses_every_call_of_the_client(
    make_client: Callable[..., Any], fake: FakeMagnific
) -> None:
    client = make_client(rate_limit=None)
    fake.fail_next(429, on="list", retry_after=5)
    start = fake.clock.monotonic()

    client.list()  # retried after 5 s
    client.list()  # not before the cooldown: it went out after the first one's retry

    times = [request.at - start for request in fake.requests]
    assert times[1] >= 5
    assert all(later >= 5 for later in times[1:])


def test_a_stale_temporary_file_of_the_same_image_is_removed(
    make_client: Callable[..., Any], tmp_path: Path
) -> None:
    client = make_client()
    task = client.generate("A red fox")
    stale = tmp_path / f".{task.task_id}_0.png.1a2b3c.part"
    older = tmp_path / f".{task.task_id}_0.4d5e6f.part"  # an earlier version's name
    other = tmp_path / ".someone-else_0.png.1a2b3c.part"
    for path in (stale, older, other):
        path.write_bytes(b"half an image")

    client.download(task, tmp_path)

    assert not stale.exists()
    assert not older.exists()
    assert other.exists()


# --- against the service's documented limits ---------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_300_items_without_a_client_rate_limit_all_complete_under_the_services_limits(
    kind: str, tmp_path: Path
) -> None:
    """The issue's case: 300 prompts, concurrency 100, rate_limit=None, the limits enforced.

    The fake runs on the real clock with the documented windows' shape scaled down (a fifth of
    the requests in a hundredth of the time: 50 per 0.05 s, 240 per 1.2 s), so that the run takes
    seconds and the first hundred creates alone overrun the short window; its 429s carry
    `Retry-After`.
    """
    fake = FakeMagnific(
        clock=SystemClock(),
        schedule=Schedule(in_progress_after=0.05, complete_after=0.2),
        rate_limits=(RateWindow(requests=50, seconds=0.05), RateWindow(requests=240, seconds=1.2)),
    )
    options: dict[str, Any] = {
        "api_key": "test-key",
        "rate_limit": None,
        "poll_schedule": PollSchedule.fixed(0.05),
        "wait_timeout": 120.0,
    }
    prompts = [f"Raccoon number {index}" for index in range(300)]
    if kind == "sync":
        with NanoBananaPro(transport=fake.transport(), **options) as client:
            results = client.generate_many(prompts, concurrency=100)
    else:

        async def main() -> list[Any]:
            async with AsyncNanoBananaPro(transport=fake.async_transport(), **options) as client:
                return await client.generate_many(prompts, concurrency=100)

        results = asyncio.run(main())

    failed = [result.error for result in results if not result.ok]
    assert failed == []
    assert len({result.task_id for result in results}) == 300
    assert len(fake.tasks) == 300  # none lost, none made twice
    assert sum(request.status == 429 for request in fake.requests) > 0  # the limits did bite


def test_the_fake_answers_429_past_its_window_with_retry_after() -> None:
    fake = FakeMagnific(rate_limits=documented_limits(time_scale=0.01))  # 250 per 0.05 s
    with httpx.Client(base_url="https://api.magnific.com", transport=fake.transport()) as http:
        headers = {"x-magnific-api-key": "test-key"}
        answers = [
            http.get("/v1/ai/text-to-image/nano-banana-pro", headers=headers) for _ in range(251)
        ]
        fake.advance(float(answers[-1].headers["retry-after"]))
        later = http.get("/v1/ai/text-to-image/nano-banana-pro", headers=headers)
    assert [answer.status_code for answer in answers[:250]] == [200] * 250
    assert answers[250].status_code == 429
    assert answers[250].json() == {"message": "Too many requests"}
    assert 0 < float(answers[250].headers["retry-after"]) <= 0.05
    assert later.status_code == 200
