"""The pieces behind the output: the exit code table, redaction, and the progress displays."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from nano_banana_pro import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    Task,
    TaskFailedError,
    TaskStatus,
    WaitTimeoutError,
)
from nano_banana_pro.cli import ExitCode, _progress
from nano_banana_pro.cli._failures import CliError, Redactor, exit_code_for
from nano_banana_pro.cli._output import task_json
from nano_banana_pro.cli._progress import LineDisplay, SpinnerDisplay, status_display

TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"


def task(status: TaskStatus = TaskStatus.IN_PROGRESS) -> Task:
    return Task(task_id=TASK_ID, status=status)


def api_error(error_type: type[APIError], status: int) -> APIError:
    return error_type("refused", status_code=status)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidRequestError("prompt", "too short"), ExitCode.BAD_INPUT),
        (api_error(BadRequestError, 400), ExitCode.BAD_INPUT),
        (api_error(NotFoundError, 404), ExitCode.BAD_INPUT),
        (api_error(AuthenticationError, 401), ExitCode.AUTH),
        (api_error(PermissionDeniedError, 402), ExitCode.AUTH),
        (api_error(RateLimitError, 429), ExitCode.SERVICE),
        (api_error(ServerError, 503), ExitCode.SERVICE),
        (api_error(APIError, 418), ExitCode.SERVICE),
        (APIConnectionError("refused", request_sent=False), ExitCode.SERVICE),
        (DownloadError("cut short"), ExitCode.SERVICE),
        (TaskFailedError(task(TaskStatus.FAILED)), ExitCode.TASK_FAILED),
        (
            WaitTimeoutError(task_id=TASK_ID, elapsed=1.0, last_status="IN_PROGRESS"),
            ExitCode.TIMEOUT,
        ),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (CliError("worded here", exit_code=ExitCode.TIMEOUT), ExitCode.TIMEOUT),
        (PermissionError("read-only folder"), ExitCode.UNEXPECTED),
    ],
    ids=lambda value: type(value).__name__,
)
def test_exit_code_table(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code


def test_the_redactor_replaces_every_secret_and_ignores_blanks() -> None:
    redact = Redactor(["sk-abc", None, "", "  ", "sk-abc-longer"])

    assert redact("key sk-abc-longer and sk-abc") == "key *** and ***"
    assert Redactor([])("nothing to hide") == "nothing to hide"


def test_task_json_keeps_unknown_fields_and_adds_files() -> None:
    completed = Task.from_payload(
        {
            "task_id": TASK_ID,
            "status": "COMPLETED",
            "generated": ["https://x/a.png"],
            "guidance_scale": 7,
        }
    )

    assert task_json(completed, files=[Path("out/a.png")]) == {
        "task_id": TASK_ID,
        "status": "COMPLETED",
        "generated": ["https://x/a.png"],
        "guidance_scale": 7,
        "files": ["out/a.png"],
    }


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with status_display(stream) as show:
        show(task(TaskStatus.CREATED))
        show(task(TaskStatus.COMPLETED))

    lines = stream.getvalue().splitlines()
    assert [line.rsplit(" (", 1)[0] for line in lines] == [
        f"task {TASK_ID}: CREATED",
        f"task {TASK_ID}: COMPLETED",
    ]
    assert all(line.endswith("s)") for line in lines)
    assert "\r" not in stream.getvalue()


def test_the_spinner_redraws_one_line_and_leaves_the_last_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "nano_banana_pro.cli._rich_progress", None)  # no rich
    stream = Terminal()
    with status_display(stream) as show:
        show(task(TaskStatus.COMPLETED))

    output = stream.getvalue()
    assert output.startswith("\r\x1b[K")  # the first frame, drawn at once
    last = output.rsplit("\r\x1b[K", 1)[1]
    assert last.startswith(f"task {TASK_ID}: COMPLETED (")
    assert last.endswith("s)\n")


def test_the_display_is_chosen_by_the_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(_progress._display_for(io.StringIO()), LineDisplay)
    monkeypatch.setitem(sys.modules, "nano_banana_pro.cli._rich_progress", None)
    assert isinstance(_progress._display_for(Terminal()), SpinnerDisplay)


def test_rich_draws_on_a_terminal_when_installed() -> None:
    from nano_banana_pro.cli._rich_progress import RichDisplay  # rich is in the dev tools

    stream = Terminal()
    with status_display(stream) as show:
        show(task(TaskStatus.COMPLETED))

    assert f"task {TASK_ID}: COMPLETED" in stream.getvalue()
    assert isinstance(_progress._display_for(Terminal()), RichDisplay)
