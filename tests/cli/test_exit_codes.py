"""One error line on stderr and one exit code per class of failure; no traceback, no key."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from nano_banana_pro.cli import ExitCode, _commands, main
from nano_banana_pro.testing import FakeMagnific
from tests.cli.conftest import PROMPT, SLOW_TASK, Cli, error_lines

UNKNOWN_TASK = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"


def nothing(fake: FakeMagnific) -> None:
    """No fault."""


@attrs.frozen
class Case:
    args: tuple[str, ...]
    code: ExitCode
    says: str
    arrange: Callable[[FakeMagnific], None] = nothing
    api_key: str | None = None
    requests: int | None = None


CASES = {
    "argparse refuses an aspect ratio": Case(
        ("generate", PROMPT, "--aspect-ratio", "17:9"),
        ExitCode.BAD_INPUT,
        "unknown aspect ratio '17:9'",
        requests=0,
    ),
    "the client refuses a reference": Case(
        ("generate", PROMPT, "--reference", "ftp://example.com/a.png"),
        ExitCode.BAD_INPUT,
        "reference_images[0].image",
        requests=0,
    ),
    "unknown task": Case(("status", UNKNOWN_TASK), ExitCode.BAD_INPUT, "HTTP 404", requests=1),
    "wrong key": Case(
        ("generate", PROMPT), ExitCode.AUTH, "HTTP 401", api_key="sk-wrong", requests=1
    ),
    "server down": Case(
        ("generate", PROMPT),
        ExitCode.SERVICE,
        "HTTP 503",
        arrange=lambda fake: fake.fail_next(503, count=10, retry_after=0),
        requests=3,  # the create, retried twice: a 503 says the service did not act on it
    ),
    "rate limited": Case(
        ("list",),
        ExitCode.SERVICE,
        "HTTP 429",
        arrange=lambda fake: fake.fail_next(429, count=10, retry_after=0),
        requests=3,
    ),
    "task failed": Case(
        ("generate", PROMPT),
        ExitCode.TASK_FAILED,
        "FAILED",
        arrange=lambda fake: fake.fail_task_next(),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_exit_codes(cli: Cli, fake: FakeMagnific, case: Case) -> None:
    case.arrange(fake)
    result = cli.run(*case.args, **({} if case.api_key is None else {"api_key": case.api_key}))

    assert result.returncode == case.code, result.stderr
    [line] = error_lines(result.stderr)
    assert case.says in line
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if case.requests is not None:
        assert fake.count() == case.requests


def test_a_timeout_names_the_task_and_how_to_resume(cli: Cli, fake: FakeMagnific) -> None:
    result = cli.run("generate", PROMPT, *SLOW_TASK, "--timeout", "0.5")

    assert result.returncode == ExitCode.TIMEOUT
    [task_id] = fake.tasks
    [line] = error_lines(result.stderr)
    # The wait runs on the real clock: a loaded machine may overshoot the deadline a little.
    assert re.search(
        rf"task {task_id} not finished after 0\.[5-9]s \(last status: IN_PROGRESS\)", line
    )
    assert f"resume with `nano-banana-pro wait {task_id} --out out`" in line
    assert "Traceback" not in result.stderr


def test_a_connection_failure(cli: Cli, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli.run("--base-url", f"http://127.0.0.1:{port}", "list")

    assert result.returncode == ExitCode.SERVICE
    [line] = error_lines(result.stderr)
    assert "could not talk to the service" in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("out", "says"),
    [
        ("blocker/images", "cannot create blocker/images"),
        ("blocker", "blocker exists and is not a folder"),
        ("/sys/kernel", "cannot write to /sys/kernel"),  # refused even to root
    ],
)
def test_an_unusable_out_is_bad_input_and_nothing_is_created(
    cli: Cli, fake: FakeMagnific, out: str, says: str
) -> None:
    (cli.cwd / "blocker").write_text("a file where a folder should be")
    result = cli.run("generate", PROMPT, "--out", out, "--json")

    assert result.returncode == ExitCode.BAD_INPUT
    [line] = error_lines(result.stderr)
    assert says in line
    assert line.count("--out") == 1, line  # said once, not wrapped in itself
    assert "Traceback" not in result.stderr
    assert fake.count() == 0  # checked before the billed create


def test_a_failure_after_creation_gives_the_task_and_the_resume_command_in_json(
    cli: Cli, fake: FakeMagnific
) -> None:
    result = cli.run("generate", PROMPT, *SLOW_TASK, "--timeout", "0.5", "--json")

    assert result.returncode == ExitCode.TIMEOUT
    [task_id] = fake.tasks
    document = json.loads(result.stdout)
    assert document == {
        "task_id": task_id,
        "error": document["error"],
        "error_type": "WaitTimeoutError",
        "resume": f"nano-banana-pro wait {task_id} --out out",
    }
    [line] = error_lines(result.stderr)
    assert f"resume with `nano-banana-pro wait {task_id} --out out`" in line
    assert document["error"] in line  # the document's text resumes as the line does


@pytest.mark.parametrize("as_json", [False, True])
def test_waiting_for_a_task_that_does_not_exist_offers_no_resume(
    cli: Cli, fake: FakeMagnific, as_json: bool
) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    result = cli.run("wait", missing, *(["--json"] if as_json else []))

    assert result.returncode == ExitCode.BAD_INPUT
    [line] = error_lines(result.stderr)
    assert "No such task" in line
    assert "exists" not in line
    assert "resume" not in line
    if as_json:
        assert json.loads(result.stdout)["resume"] is None


def test_a_folder_in_the_way_after_completion_says_to_download_once_fixed(
    cli: Cli, fake: FakeMagnific
) -> None:
    task_id = json.loads(cli.run("generate", PROMPT, "--json").stdout)["task_id"]
    result = cli.run("wait", task_id, "--out", "out", "--json")  # its images are there already

    assert result.returncode == ExitCode.BAD_INPUT
    [line] = error_lines(result.stderr)
    download = f"nano-banana-pro download {task_id} --out out"
    assert "--overwrite" in line
    assert f"once that is fixed, save its images with `{download}`" in line
    assert "resume with `nano-banana-pro wait" not in line
    assert json.loads(result.stdout)["resume"] == download


def test_a_download_failure_after_creation_says_how_to_resume(cli: Cli, fake: FakeMagnific) -> None:
    fake.fail_next(500, on="image", count=10)
    result = cli.run("generate", PROMPT)

    assert result.returncode == ExitCode.SERVICE
    [task_id] = fake.tasks
    [line] = error_lines(result.stderr)
    assert f"task {task_id} exists: resume with `nano-banana-pro wait {task_id} --out out`" in line


@pytest.mark.usefixtures("cli_env")
def test_an_unexpected_error_says_to_rerun_with_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(_commands, "list_tasks", broken)
    assert main(["list"]) == ExitCode.UNEXPECTED
    stderr = capsys.readouterr().err
    [line] = error_lines(stderr)
    assert "rerun with --debug" in line
    assert "Traceback" not in stderr


def test_debug_shows_the_traceback_and_requests_but_not_the_key(
    cli: Cli, fake: FakeMagnific
) -> None:
    fake.fail_next(503, count=10, retry_after=0)
    result = cli.run("--debug", "list")  # Cli.run fails the test if the key shows up

    assert result.returncode == ExitCode.SERVICE
    assert "Traceback (most recent call last)" in result.stderr
    assert "nano-banana-pro: DEBUG request GET" in result.stderr
    assert "<redacted>" in result.stderr
    assert len(error_lines(result.stderr)) == 1
