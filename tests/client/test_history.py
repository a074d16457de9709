"""Learned completion times outlive the client: a fresh process polls well from its first poll."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nano_banana_pro import NanoBananaPro, PollSchedule, TaskLedger
from nano_banana_pro._history import CacheFile, CompletionHistory, default_cache_file
from nano_banana_pro.testing import FakeMagnific, Schedule

SCHEDULE = Schedule(in_progress_after=1.0, complete_after=20.0)


def fresh_client(fake: FakeMagnific) -> NanoBananaPro:
    """A new client, as a new process would make: it knows only what its stores keep."""
    return NanoBananaPro(api_key="test-key", transport=fake.transport(), clock=fake.clock)


def pauses(fake: FakeMagnific, since: int) -> list[float]:
    """The waits' pauses on the fake's clock (its transport also sleeps 0 per request)."""
    return [seconds for seconds in fake.clock.slept[since:] if seconds > 0]  # type: ignore[attr-defined]


def first_pause(fake: FakeMagnific, client: NanoBananaPro) -> float:
    before = len(fake.clock.slept)  # type: ignore[attr-defined]
    client.generate("A raccoon timed")
    return pauses(fake, before)[0]


def test_a_fresh_process_is_warm_from_the_cache_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MAGNIFIC_CACHE_DIR", str(tmp_path / "cache"))
    fake = FakeMagnific(schedule=SCHEDULE)
    with fresh_client(fake) as first:
        cold = first_pause(fake, first)
        for _ in range(3):
            first.generate("A raccoon to learn from")
    document = json.loads((tmp_path / "cache" / "completion-times.json").read_text())
    assert len(document["samples"]["2K"]) == 4

    with fresh_client(fake) as second:
        warm = first_pause(fake, second)
    assert cold == 1.0  # a first task: poll soon, someone is waiting
    assert warm > 5.0  # sleeps through the time when completion is unlikely


def test_an_empty_cache_dir_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGNIFIC_CACHE_DIR", "")
    assert default_cache_file() is None
    monkeypatch.setenv("MAGNIFIC_CACHE_DIR", "/somewhere")
    cache = default_cache_file()
    assert cache is not None
    assert cache.path == Path("/somewhere/completion-times.json")


@pytest.mark.parametrize(
    "content", ["not json", '{"schema_version": 99, "samples": {}}', '{"samples": [1]}']
)
def test_a_damaged_cache_is_ignored_then_rewritten(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str
) -> None:
    (tmp_path / "completion-times.json").write_text(content)
    monkeypatch.setenv("MAGNIFIC_CACHE_DIR", str(tmp_path))
    fake = FakeMagnific(schedule=SCHEDULE)
    with fresh_client(fake) as client:
        assert client.generate("A raccoon").is_completed
    assert len(CacheFile(tmp_path / "completion-times.json").completion_times(keep=64)) == 1


def test_an_unwritable_cache_never_fails_a_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGNIFIC_CACHE_DIR", "/proc/self/no/such/folder")
    fake = FakeMagnific(schedule=SCHEDULE)
    with fresh_client(fake) as client:
        assert client.generate("A raccoon").is_completed


def test_a_batch_ledger_keeps_what_its_runs_learned(tmp_path: Path) -> None:
    fake = FakeMagnific(schedule=SCHEDULE)
    ledger = tmp_path / "run.sqlite"
    with fresh_client(fake) as first:
        first.generate_many([f"Raccoon {n}" for n in range(4)], ledger=ledger, concurrency=1)
    with TaskLedger(ledger) as book:
        assert len(book.completion_times(keep=64)) == 4

    with fresh_client(fake) as second:
        before = len(fake.clock.slept)
        second.generate_many(["Raccoon late"], ledger=ledger)
        assert pauses(fake, before)[0] > 5.0  # warm from the ledger, with no cache file


def test_the_window_follows_every_new_duration() -> None:
    schedule = PollSchedule()
    history = CompletionHistory()
    for _ in range(3):
        history.record("2K", after=19.0, before=21.0)
    first = history.window("2K", schedule)
    assert first is not None
    assert first == history.window("2K", schedule)
    history.record("2K", after=59.0, before=61.0)
    later = history.window("2K", schedule)
    assert later is not None
    assert later[1] == 61.0
    assert later[0] < first[0]
    assert history.window("2K", PollSchedule(learn=False)) is None


def test_no_home_folder_means_no_cache_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def nowhere() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("MAGNIFIC_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(nowhere))
    assert default_cache_file() is None
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    cache = default_cache_file()
    assert cache is not None
    assert cache.path.parts[:3] == ("/", "somewhere", "cache")
    NanoBananaPro(api_key="test-key").close()  # constructing a client needs no home
