"""`batch`: items from a file, the ledger, resuming by content, exit codes, progress.

The fake runs on a virtual clock here: tasks at 1K and 2K are COMPLETED (or FAILED) as soon as
they are created; a 4K task stays IN_PROGRESS until the test advances the fake's clock. So a
`--timeout` on the CLI's real clock cuts a 4K item short, and a later run finds it done.
"""

from __future__ import annotations

import io
import json
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from nano_banana_pro import RateLimit
from nano_banana_pro.cli import ExitCode, main
from nano_banana_pro.cli._batch import _rate_limit, _resume_command
from nano_banana_pro.cli._parser import build_parser
from nano_banana_pro.cli._progress import BarDisplay, BatchLineDisplay, batch_display
from nano_banana_pro.clock import VirtualClock
from nano_banana_pro.ledger import TaskLedger
from nano_banana_pro.testing import FakeMagnific, Schedule
from tests.cli.conftest import API_KEY, FAST_POLL, Cli, error_lines

INSTANT = Schedule(in_progress_after=0.0, complete_after=0.0)
#: Longer than any test: a 4K task completes only when the test advances the fake's clock.
SLOW_SECONDS = 3600.0
SLOW = Schedule(in_progress_after=0.0, complete_after=SLOW_SECONDS)
SLOW_ITEM = {"prompt": "A glacier, slowly", "resolution": "4K"}
SUMMARY = "{} completed, {} failed, {} ambiguous, {} invalid, {} skipped (already done)"


class TierSchedule:
    """Instant tasks at 1K and 2K, slow ones at 4K; says when a slow one was created."""

    def __init__(self) -> None:
        self.slow_created = threading.Event()

    def __call__(self, body: Mapping[str, Any]) -> Schedule:
        if body.get("resolution") != "4K":
            return INSTANT
        self.slow_created.set()
        return SLOW


@pytest.fixture
def schedule() -> TierSchedule:
    return TierSchedule()


@pytest.fixture
def fake(schedule: TierSchedule) -> FakeMagnific:
    """Overrides the real-time fake of conftest for this module (see the module docstring)."""
    return FakeMagnific(api_key=API_KEY, clock=VirtualClock(), schedule=schedule)


@attrs.frozen
class Run:
    code: int
    out: str
    err: str

    @property
    def summary(self) -> str:
        [line] = [line for line in self.err.splitlines() if line.endswith("(already done)")]
        return line


@pytest.fixture
def batch(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Runs `batch` in this process (cwd: a temporary folder); never shows the API key."""

    def run(*args: str) -> Run:
        code = main([*FAST_POLL, "batch", *args])
        captured = capsys.readouterr()
        assert API_KEY not in captured.out + captured.err, "the API key was printed"
        return Run(code=code, out=captured.out, err=captured.err)

    yield run
    for written in [*cli_env.glob("*.jsonl"), *cli_env.glob("*.sqlite")]:
        assert API_KEY.encode() not in written.read_bytes(), "the API key was written"
    assert not [*cli_env.rglob("*.part"), *cli_env.rglob("*.tmp")], "temporary files were left"


def write_items(folder: Path, *lines: str | Mapping[str, Any], name: str = "items.txt") -> Path:
    path = folder / name
    text = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def results(path: Path) -> list[dict[str, Any]]:
    """The results file: one record per item, in file order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def posts(fake: FakeMagnific) -> int:
    return fake.count(method="POST")


def test_a_prompts_file(batch: Any, cli_env: Path, fake: FakeMagnific) -> None:
    write_items(cli_env, "# two prompts", "", "A red fox in the snow", "  A blue whale  ")

    run = batch("items.txt")

    assert run.code == ExitCode.OK, run.err
    bodies = [request.json for request in fake.requests if request.method == "POST"]
    assert sorted(bodies, key=str) == [
        {"prompt": "A blue whale", "aspect_ratio": "1:1", "resolution": "2K"},
        {"prompt": "A red fox in the snow", "aspect_ratio": "1:1", "resolution": "2K"},
    ]
    final = results(cli_env / "items.txt.results.jsonl")
    assert [(record["line"], record["input"]) for record in final] == [
        (3, {"prompt": "A red fox in the snow"}),
        (4, {"prompt": "A blue whale"}),
    ]
    files = [Path(record["files"][0]) for record in final]
    assert run.out.splitlines() == [str(file) for file in files]  # in input order
    for record, file in zip(final, files, strict=True):
        assert record["state"] == "completed"
        assert file == Path("out") / f"{record['task_id']}_0.png"
        assert (cli_env / file).is_file()
    lines = run.err.splitlines()
    assert sorted(lines[:2]) == [
        f"item 0 (line 3): task {final[0]['task_id']} COMPLETED",
        f"item 1 (line 4): task {final[1]['task_id']} COMPLETED",
    ]
    assert lines[2:] == [SUMMARY.format(2, 0, 0, 0, 0)]
    assert (cli_env / "items.txt.ledger.sqlite").is_file()


def test_the_results_are_the_ledger_in_file_order(batch: Any, cli_env: Path) -> None:
    write_items(cli_env, "A red fox in the snow")

    assert batch("items.txt", "--results", "run.jsonl", "--ledger", "run.sqlite").code == 0

    [record] = results(cli_env / "run.jsonl")
    task_id = record["task_id"]
    assert record == {
        "line": 1,
        "index": 0,
        "input": {"prompt": "A red fox in the snow"},
        "key": record["key"],
        "state": "completed",
        "task_id": task_id,
        "status": "COMPLETED",
        "files": [str(Path("out") / f"{task_id}_0.png")],
        "error": None,
        "error_type": None,
    }
    ledger = TaskLedger(cli_env / "run.sqlite")
    [item] = ledger.items()
    assert (item.key, item.task_id) == (record["key"], task_id)
    assert [step for step, _ in item.history][:2] == ["creating", "created"]
    assert not (cli_env / "items.txt.results.jsonl").exists()


def test_json_lines_and_json_output(batch: Any, cli_env: Path, fake: FakeMagnific) -> None:
    item = {
        "prompt": "A blue whale",
        "aspect_ratio": "16:9",
        "resolution": "1K",
        "reference_images": ["https://example.com/whale.png"],
        "webhook_url": "https://example.com/hook",
        "extra_body": {"guidance_scale": 42},
    }
    write_items(cli_env, item)

    run = batch("items.txt", "--out", "images", "--json")

    assert run.code == ExitCode.OK, run.err
    [request] = fake.requests[:1]
    expected = {**item, "guidance_scale": 42}
    del expected["extra_body"]
    expected["reference_images"] = [
        {"image": "https://example.com/whale.png", "mime_type": "image/png"}
    ]
    assert request.json == expected
    document = json.loads(run.out)
    [record] = document["items"]
    assert document == {
        "results": "items.txt.results.jsonl",
        "ledger": "items.txt.ledger.sqlite",
        "completed": 1,
        "failed": 0,
        "ambiguous": 0,
        "invalid": 0,
        "skipped": 0,
        "items": [record],
    }
    assert (record["input"], record["status"]) == (item, "COMPLETED")
    assert record["files"] == [str(Path("images") / f"{record['task_id']}_0.png")]


def test_the_first_failing_item_sets_the_exit_code(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    fake.fail_task_next()
    write_items(cli_env, "A red fox that fails", {"prompt": "A cat", "aspect_ratio": "17:9"}, "ok")

    run = batch("items.txt", "--concurrency", "1")  # one at a time: the first task fails

    assert run.code == ExitCode.TASK_FAILED
    assert posts(fake) == 2  # nothing sent for the invalid item
    final = results(cli_env / "items.txt.results.jsonl")
    assert (final[0]["status"], final[0]["error_type"]) == ("FAILED", "TaskFailedError")
    assert final[0]["task_id"] in fake.tasks
    assert (final[1]["state"], final[1]["task_id"]) == ("invalid", None)
    assert final[1]["error_type"] == "InvalidRequestError"
    assert final[1]["error"].startswith("aspect_ratio: unknown value '17:9'")
    assert final[2]["status"] == "COMPLETED"
    assert f"item 0 (line 1): task {final[0]['task_id']} FAILED: task" in run.err
    assert "item 1 (line 2): invalid: aspect_ratio: unknown value '17:9'" in run.err
    assert run.summary == SUMMARY.format(1, 1, 0, 1, 0)
    assert "`nano-banana-pro batch items.txt --out out` resumes" in run.err
    assert "--retry-failed" in run.err
    assert run.out.splitlines() == final[2]["files"]


def test_invalid_lines_are_all_reported_before_anything_is_sent(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    write_items(cli_env, "A dog", {"prompt": "A cat", "colour": "red"}, "x", {"prompt": "A cow"})

    run = batch("items.txt", "--concurrency", "1")

    assert run.code == ExitCode.BAD_INPUT
    lines = run.err.splitlines()
    assert lines[0].startswith("item 1 (line 2): invalid: unknown parameters ['colour']")
    assert lines[1].startswith("item 2 (line 3): invalid: prompt: must be 2 to 3000")
    assert run.summary == SUMMARY.format(2, 0, 0, 2, 0)
    assert "--retry-failed" not in run.err  # retrying does not mend an invalid line
    assert posts(fake) == 2


def test_resume_waits_for_created_tasks_and_skips_completed_ones(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    write_items(cli_env, "A red fox in the snow", SLOW_ITEM)
    results_file = cli_env / "items.txt.results.jsonl"

    first = batch("items.txt", "--timeout", "0.3")

    assert first.code == ExitCode.TIMEOUT
    assert first.summary == SUMMARY.format(1, 1, 0, 0, 0)
    slow = results(results_file)[1]
    assert (slow["state"], slow["status"], slow["error_type"]) == (
        "created",
        "IN_PROGRESS",
        "WaitTimeoutError",
    )
    assert slow["task_id"] in fake.tasks  # recorded although the item did not finish
    assert posts(fake) == 2

    fake.advance(SLOW_SECONDS)
    second = batch("items.txt")

    assert second.code == ExitCode.OK, second.err
    assert posts(fake) == 2  # no task created again
    assert second.summary == SUMMARY.format(1, 0, 0, 0, 1)
    final = results(results_file)
    assert (final[1]["task_id"], final[1]["status"]) == (slow["task_id"], "COMPLETED")
    assert second.out.splitlines() == [final[0]["files"][0], final[1]["files"][0]]

    (cli_env / final[0]["files"][0]).unlink()  # a completed item whose image is gone
    third = batch("items.txt")

    assert third.code == ExitCode.OK, third.err
    assert third.summary == SUMMARY.format(1, 0, 0, 0, 1)
    assert posts(fake) == 2
    assert (cli_env / final[0]["files"][0]).is_file()  # downloaded again from the same task


FIVE = ["A red fox", "A blue whale", "A green frog", "A grey owl", "A black cat"]


@pytest.mark.parametrize(
    ("edit", "new_posts"),
    [
        (lambda lines: ["A brand new line", *lines], 1),
        (lambda lines: lines[1:], 0),
        (lambda lines: list(reversed(lines)), 0),
        (lambda lines: [*lines[:2], lines[1], *lines[2:]], 1),  # a duplicate is a second item
        (lambda lines: [*lines[:2], {"prompt": lines[2], "resolution": "1K"}, *lines[3:]], 1),
        (lambda lines: [*lines, *lines], 5),  # the whole file twice: five more items
    ],
    ids=["insert", "delete", "reorder", "duplicate", "edit-parameters", "double"],
)
def test_resume_matches_items_by_content_not_by_line(
    batch: Any,
    cli_env: Path,
    fake: FakeMagnific,
    edit: Callable[[list[Any]], list[Any]],
    new_posts: int,
) -> None:
    write_items(cli_env, *FIVE)
    assert batch("items.txt").code == ExitCode.OK
    assert posts(fake) == 5

    write_items(cli_env, *edit(list(FIVE)))
    again = batch("items.txt")

    assert again.code == ExitCode.OK, again.err
    assert posts(fake) == 5 + new_posts
    final = results(cli_env / "items.txt.results.jsonl")
    assert all(record["state"] == "completed" for record in final)
    assert len({record["task_id"] for record in final}) == len(final)  # one task per item
    assert all((cli_env / record["files"][0]).is_file() for record in final)


def test_the_same_prompt_twice_is_two_items_even_written_differently(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    write_items(cli_env, "A red fox", {"prompt": "A red fox", "aspect_ratio": "1:1"})

    assert batch("items.txt").code == ExitCode.OK
    assert batch("items.txt").code == ExitCode.OK

    first, second = results(cli_env / "items.txt.results.jsonl")
    assert first["key"] != second["key"]
    assert first["key"].rsplit("-", 1)[0] == second["key"].rsplit("-", 1)[0]  # same content
    assert posts(fake) == 2


def test_failed_items_are_reported_again_unless_retry_failed(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    fake.fail_task_next()
    write_items(cli_env, "A red fox that fails once", {"prompt": "A cat", "aspect_ratio": "17:9"})
    assert batch("items.txt").code == ExitCode.TASK_FAILED

    again = batch("items.txt")

    assert again.code == ExitCode.TASK_FAILED
    assert posts(fake) == 1
    assert "(recorded by an earlier run)" in again.err
    assert again.summary == SUMMARY.format(0, 1, 0, 1, 0)

    retried = batch("items.txt", "--retry-failed")

    assert retried.code == ExitCode.BAD_INPUT  # the invalid item is still invalid
    assert posts(fake) == 2
    assert retried.summary == SUMMARY.format(1, 0, 0, 1, 0)
    assert results(cli_env / "items.txt.results.jsonl")[0]["status"] == "COMPLETED"


def test_an_ambiguous_create_is_not_repeated_without_the_opt_in(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    fake.fail_next(500, on="create", after_processing=True)  # a task is made, its id lost
    write_items(cli_env, "A red fox in the snow")

    first = batch("items.txt")

    assert first.code == ExitCode.SERVICE
    assert posts(fake) == 1
    assert first.summary == SUMMARY.format(0, 0, 1, 0, 0)
    assert "check `nano-banana-pro list`" in first.err
    assert "--recreate-ambiguous" in first.err
    [record] = results(cli_env / "items.txt.results.jsonl")
    assert (record["state"], record["task_id"]) == ("ambiguous", None)

    again = batch("items.txt")

    assert again.code == ExitCode.SERVICE
    assert posts(fake) == 1  # not created twice
    assert again.summary == SUMMARY.format(0, 0, 1, 0, 0)

    recreated = batch("items.txt", "--recreate-ambiguous")

    assert recreated.code == ExitCode.OK, recreated.err
    assert posts(fake) == 2
    assert results(cli_env / "items.txt.results.jsonl")[0]["state"] == "completed"


def test_a_create_refused_outright_is_made_on_the_next_run(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    fake.fail_next(400, on="create")  # refused: no task made, nothing billed
    write_items(cli_env, "A red fox in the snow")

    first = batch("items.txt")

    assert first.code == ExitCode.BAD_INPUT
    [record] = results(cli_env / "items.txt.results.jsonl")
    assert (record["state"], record["task_id"], record["error_type"]) == (
        "failed",
        None,
        "BadRequestError",
    )
    assert batch("items.txt").code == ExitCode.OK
    assert len(fake.tasks) == 1


def test_a_second_run_on_the_same_ledger_is_refused(
    cli: Cli, fake: FakeMagnific, schedule: TierSchedule, batch: Any
) -> None:
    write_items(cli.cwd, SLOW_ITEM, "A red fox in the snow")
    first = cli.popen("batch", "items.txt")
    try:
        assert schedule.slow_created.wait(timeout=20), "the slow task was never created"
        second = cli.run("batch", "items.txt")
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=20)

    assert second.returncode == ExitCode.BAD_INPUT
    [line] = error_lines(second.stderr)
    assert "is in use by another run" in line
    assert posts(fake) == 2

    fake.advance(SLOW_SECONDS)
    assert batch("items.txt").code == ExitCode.OK
    assert posts(fake) == 2


def test_ctrl_c_records_the_task_and_says_how_to_resume(
    cli: Cli, fake: FakeMagnific, schedule: TierSchedule, batch: Any
) -> None:
    write_items(cli.cwd, SLOW_ITEM)
    process = cli.popen("batch", "items.txt")
    try:
        assert schedule.slow_created.wait(timeout=20), "the slow task was never created"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == ExitCode.INTERRUPTED
    assert API_KEY not in stdout + stderr
    [line] = error_lines(stderr)
    assert "interrupted; the tasks already created go on" in line
    assert "resume with `nano-banana-pro batch items.txt --out out`" in line
    [task_id] = fake.tasks
    [record] = results(cli.cwd / "items.txt.results.jsonl")
    assert (record["task_id"], record["state"]) == (task_id, "created")

    fake.advance(SLOW_SECONDS)
    resumed = batch("items.txt")

    assert resumed.code == ExitCode.OK, resumed.err
    assert posts(fake) == 1
    assert resumed.out == str(Path("out") / f"{task_id}_0.png") + "\n"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("not-a-ledger.sqlite", "is not a task ledger, or it is damaged"),
        ("newer.sqlite", "written by a newer magnific-nano-banana-pro"),
    ],
)
def test_a_ledger_that_cannot_be_used_is_refused_and_left_untouched(
    batch: Any, cli_env: Path, fake: FakeMagnific, name: str, says: str
) -> None:
    ledger = cli_env / name
    if name.startswith("newer"):
        connection = sqlite3.connect(ledger)
        connection.execute("PRAGMA user_version = 99")
        connection.close()
    else:
        ledger.write_bytes(b"these are not the droids you are looking for")
    before = ledger.read_bytes()
    write_items(cli_env, "A red fox in the snow")

    run = batch("items.txt", "--ledger", name)

    assert run.code == ExitCode.BAD_INPUT
    assert says in run.err
    assert ledger.read_bytes() == before
    assert fake.count() == 0


def test_a_line_that_cannot_be_read_is_one_invalid_item_and_the_others_run(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    write_items(
        cli_env,
        '{"prompt": "A cat",}',  # not JSON
        "[1, 2]",  # JSON, not an object
        '"A fox, quoted"',  # a JSON string: its prompt
        '"Hello," said the owl',  # not JSON: a prompt as written
        "[Draft] A heron",  # not JSON either
        "A red fox",
        "x",  # read, and refused by the checks
    )

    run = batch("items.txt", "--concurrency", "1")

    assert run.code == ExitCode.BAD_INPUT
    invalid = [line for line in run.err.splitlines() if ": invalid: " in line]
    assert invalid[0].startswith("item 0 (line 1): invalid: this line: not valid JSON (")
    assert invalid[1].startswith("item 1 (line 2): invalid: this line: a JSON line is an object")
    assert invalid[2].startswith("item 6 (line 7): invalid: prompt: must be 2 to 3000")
    assert run.summary == SUMMARY.format(4, 0, 0, 3, 0)
    final = results(cli_env / "items.txt.results.jsonl")
    assert [record["state"] for record in final] == ["invalid"] * 2 + ["completed"] * 4 + [
        "invalid"
    ]
    assert "not valid JSON" in final[0]["error"]
    assert [record["input"] for record in final[2:5]] == [
        {"prompt": "A fox, quoted"},
        {"prompt": '"Hello," said the owl'},
        {"prompt": "[Draft] A heron"},
    ]
    assert posts(fake) == 4


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        (["# nothing but a comment", ""], "items.txt holds no prompts"),
    ],
)
def test_a_file_that_cannot_run_sends_nothing(
    batch: Any, cli_env: Path, fake: FakeMagnific, lines: list[str], says: str
) -> None:
    write_items(cli_env, *lines)

    run = batch("items.txt")

    assert run.code == ExitCode.BAD_INPUT
    [line] = error_lines(run.err)
    assert says in line
    assert fake.count() == 0


@pytest.mark.parametrize(
    ("out", "says"),
    [
        ("blocker", "blocker exists and is not a folder"),
        ("/proc/self/no/such", "cannot create /proc/self/no/such"),
        ("/sys/kernel", "cannot write to /sys/kernel"),  # refused even to root
    ],
)
def test_an_unusable_out_sends_nothing(
    batch: Any, cli_env: Path, fake: FakeMagnific, out: str, says: str
) -> None:
    write_items(cli_env, "A red fox in the snow")
    (cli_env / "blocker").write_text("a file where a folder should be")

    run = batch("items.txt", "--out", out)

    assert run.code == ExitCode.BAD_INPUT
    [line] = error_lines(run.err)
    assert says in line
    assert fake.count() == 0


def api_requests(fake: FakeMagnific) -> int:
    return sum(1 for request in fake.requests if request.operation in ("create", "get", "list"))


def test_a_rate_file_holds_the_budget_every_request_went_through(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    write_items(cli_env, "A red fox in the snow", "A blue whale")

    run = batch("items.txt", "--rate-file", "budget.sqlite", "--rate", "50")

    assert run.code == ExitCode.OK, run.err
    with sqlite3.connect(cli_env / "budget.sqlite") as connection:
        (answered,) = connection.execute(
            "SELECT count(*) FROM times WHERE log = 'answers'"
        ).fetchone()
    assert answered == api_requests(fake) >= 2  # the other batches given this file see them all


def test_a_rate_file_that_cannot_be_used_sends_nothing(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    budget = cli_env / "notes.txt"
    budget.write_text("not a budget file\n" * 100)
    before = budget.read_bytes()
    write_items(cli_env, "A red fox in the snow")

    run = batch("items.txt", "--rate-file", "notes.txt")

    assert run.code == ExitCode.BAD_INPUT
    [line] = error_lines(run.err)
    assert "the budget file notes.txt cannot be used" in line
    assert budget.read_bytes() == before
    assert fake.count() == 0


def test_the_rate_file_is_a_client_option_before_or_after_the_command() -> None:
    parser = build_parser()
    before = parser.parse_args(["--rate-file", "b.sqlite", "batch", "items.txt"])
    after = parser.parse_args(["batch", "items.txt", "--rate-file", "b.sqlite"])
    other = parser.parse_args(["list", "--rate-file", "b.sqlite"])

    assert before.rate_file == after.rate_file == other.rate_file == "b.sqlite"
    assert parser.parse_args(["batch", "items.txt"]).rate_file is None
    assert "--rate-file b.sqlite" in _resume_command(after)  # a resumed run shares it too


def test_a_missing_file(batch: Any) -> None:
    run = batch("missing.txt")

    assert run.code == ExitCode.BAD_INPUT
    assert "cannot read missing.txt (No such file or directory)" in run.err


def test_help_documents_the_file_resuming_and_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["batch", "--help"]) == ExitCode.OK

    help_text = capsys.readouterr().out
    assert help_text.startswith("usage: nano-banana-pro batch")
    example = help_text.split("example:\n", 1)[1]
    assert example.strip().startswith("nano-banana-pro batch prompts.txt")
    assert '{"prompt": "A red fox", "aspect_ratio": "16:9"' in help_text
    assert "never created again" in help_text
    assert "--recreate-ambiguous" in help_text
    assert "the code of the first failing item" in help_text


def test_options() -> None:
    parser = build_parser()
    defaults = parser.parse_args(["batch", "items.txt"])
    given = parser.parse_args(
        ["batch", "items.txt", "--concurrency", "2", "--rate", "0.5", "--timeout", "30"]
    )

    assert (defaults.concurrency, defaults.out, defaults.results, defaults.ledger) == (
        4,
        "out",
        None,
        None,
    )
    assert (defaults.timeout, defaults.retry_failed, defaults.recreate_ambiguous) == (
        None,
        False,
        False,
    )
    assert _rate_limit(defaults) == RateLimit()
    assert (given.concurrency, given.timeout) == (2, 30.0)
    assert _rate_limit(given) == RateLimit.per_second(0.5)


@pytest.mark.parametrize(
    ("option", "says"),
    [
        (["--concurrency", "0"], "must be a whole number of 1 or more"),
        (["--rate", "-1"], "must be a positive number"),
    ],
)
def test_options_out_of_range(
    option: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["batch", "items.txt", *option]) == ExitCode.BAD_INPUT
    [line] = error_lines(capsys.readouterr().err)
    assert says in line


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with batch_display(stream, total=2) as finished:
        finished("item 0 (line 1): task a COMPLETED", True)
        finished("item 1 (line 2): no task: refused", False)

    assert stream.getvalue() == (
        "item 0 (line 1): task a COMPLETED\nitem 1 (line 2): no task: refused\n"
    )


def test_the_bar_shows_counts_and_prints_failures_above_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "nano_banana_pro.cli._rich_progress", None)  # no rich
    stream = Terminal()
    with batch_display(stream, total=4) as finished:
        finished("item 0: ok", True)
        finished("item 1: refused", False)

    output = stream.getvalue()
    assert "\r\x1b[Kitem 1: refused\n" in output
    assert "item 0: ok" not in output
    last = output.rsplit("\r\x1b[K", 1)[1]
    assert last.startswith(f"[{'#' * 12}{'-' * 12}] 1 completed, 1 failed of 4 (")
    assert last.endswith("s)\n")


def test_rich_draws_the_bar_when_installed() -> None:
    from nano_banana_pro.cli._rich_progress import RichBarDisplay

    stream = Terminal()
    display = RichBarDisplay(stream, total=2)
    display.start()
    display.finished("item 1: refused", ok=False)
    display.stop()

    assert "item 1: refused" in stream.getvalue()
    assert "0 completed, 1 failed of 2" in stream.getvalue()


def test_the_display_is_chosen_by_the_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    from nano_banana_pro.cli import _progress

    assert isinstance(_progress._batch_display_for(io.StringIO(), total=1), BatchLineDisplay)
    monkeypatch.setitem(sys.modules, "nano_banana_pro.cli._rich_progress", None)
    assert isinstance(_progress._batch_display_for(Terminal(), total=1), BarDisplay)


def test_a_batch_keeps_a_gallery_and_a_sidecar_per_image(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    write_items(
        cli_env, "A red fox in the snow", {"prompt": "A <b>bold</b> cat", "aspect_ratio": "17:9"}
    )

    run = batch("items.txt", "--out", "out")

    page = (cli_env / "out" / "index.html").read_text()
    final = results(cli_env / "items.txt.results.jsonl")
    image = Path(final[0]["files"][0])
    assert f'src="{image.name}"' in page
    assert "A red fox in the snow" in page
    assert "A &lt;b&gt;bold&lt;/b&gt; cat" in page  # the prompt is text, never markup
    assert '<article class="card invalid">' in page  # the invalid line has its card
    assert (cli_env / f"{image}.json").is_file()
    assert run.code == ExitCode.BAD_INPUT

    fresh = batch("items.txt", "--out", "bare", "--ledger", "fresh.sqlite", "--no-sidecar")
    assert fresh.code == ExitCode.BAD_INPUT
    assert len(list((cli_env / "bare").glob("*.png"))) == 1
    assert not list((cli_env / "bare").glob("*.png.json"))


def test_resuming_with_another_webhook_url_creates_nothing_again(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    write_items(cli_env, {"prompt": "A red fox", "webhook_url": "https://a.example.com/hook"})
    assert batch("items.txt").code == ExitCode.OK

    write_items(cli_env, {"prompt": "A red fox", "webhook_url": "https://b.example.com/hook"})
    again = batch("items.txt")

    assert again.code == ExitCode.OK
    assert posts(fake) == 1  # the same image asked for: its news going elsewhere changes nothing


def test_a_results_file_that_cannot_go_where_asked_sends_nothing(
    batch: Any, cli_env: Path, fake: FakeMagnific
) -> None:
    write_items(cli_env, "A red fox")
    (cli_env / "a-folder").mkdir()
    for place in ["no-such-folder/results.jsonl", "a-folder"]:
        run = batch("items.txt", "--results", place)
        assert run.code == ExitCode.BAD_INPUT, run.err
        assert f"--results {place}" in run.err
    assert posts(fake) == 0


def test_a_lone_surrogate_in_a_line_still_gives_a_results_file(batch: Any, cli_env: Path) -> None:
    """The line's own text goes into its record: a lone surrogate made writing it fail raw."""
    (cli_env / "items.txt").write_text('{"prompt": "A fox \\ud800"}\n')
    run = batch("items.txt")
    assert run.code == ExitCode.BAD_INPUT, run.err
    [record] = results(cli_env / "items.txt.results.jsonl")
    assert record["input"]["prompt"] == "A fox \ud800"
    assert "lone surrogate" in record["error"]
