"""The commands end to end, as a subprocess against the fake over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nano_banana_pro import APIResponseValidationError, NanoBananaPro, Task
from nano_banana_pro.cli import ExitCode, main
from nano_banana_pro.testing import FakeMagnific
from tests.cli.conftest import FAST_POLL, PROMPT, SLOW_TASK, Cli
from tests.fake.helpers import read_png


def png_size(path: Path) -> tuple[int, int]:
    width, height, _ = read_png(path.read_bytes())
    return width, height


def test_generate_prints_the_path_of_a_png_of_the_ratio(cli: Cli, fake: FakeMagnific) -> None:
    result = cli.run("generate", PROMPT, "--aspect-ratio", "16:9", "--out", "images")

    assert result.returncode == 0, result.stderr
    [task_id] = fake.tasks
    [line] = result.stdout.splitlines()
    path = cli.cwd / line
    assert Path(line) == Path("images") / f"{task_id}_0.png"
    width, height = png_size(path)
    assert width * 9 == height * 16
    stderr = result.stderr.splitlines()
    assert stderr[0] == f"task {task_id} created"
    assert any(f"task {task_id}: COMPLETED" in text for text in stderr[1:])
    assert fake.requests[0].json == {"prompt": PROMPT, "aspect_ratio": "16:9", "resolution": "2K"}


def test_generate_json_and_references(cli: Cli, fake: FakeMagnific) -> None:
    result = cli.run(
        "generate",
        PROMPT,
        "--aspect-ratio",
        "9:16",
        "--resolution",
        "1k",
        "--reference",
        "https://example.com/pose.png",
        "--reference",
        "https://example.com/face,image/jpeg,the face, as is",
        "--json",
    )

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"task_id", "status", "files", "generated"}
    assert document["status"] == "COMPLETED"
    [file] = document["files"]
    assert Path(file) == Path("out") / f"{document['task_id']}_0.png"
    assert png_size(cli.cwd / file) == (36, 64)  # 9:16 at 1K, at the fake's 1/16 scale
    assert fake.requests[0].json["reference_images"] == [
        {"image": "https://example.com/pose.png", "mime_type": "image/png"},
        {"image": "https://example.com/face", "mime_type": "image/jpeg", "text": "the face, as is"},
    ]


def test_no_wait_then_status_wait_download_and_list(cli: Cli, fake: FakeMagnific) -> None:
    created = cli.run("generate", PROMPT, "--no-wait", "--json")
    assert created.returncode == 0, created.stderr
    task_id = json.loads(created.stdout)["task_id"]
    assert json.loads(created.stdout) == {
        "task_id": task_id,
        "status": "CREATED",
        "generated": [],
        "files": [],
    }

    waited = cli.run("wait", task_id, "--json")
    status = cli.run("status", task_id)
    downloaded = cli.run("download", task_id, "--out", "saved", "--json")
    listed = cli.run("list", "--json")
    listed_text = cli.run("list")

    assert [r.returncode for r in (status, waited, downloaded, listed, listed_text)] == [0] * 5
    task = json.loads(waited.stdout)
    assert (task["task_id"], task["status"]) == (task_id, "COMPLETED")
    [url] = task["generated"]
    assert url.endswith(f"/{task_id}.png")
    assert status.stdout == f"{task_id} COMPLETED\n  {url}\n"
    assert f"waiting for task {task_id}" in waited.stderr
    [file] = json.loads(downloaded.stdout)["files"]
    assert png_size(cli.cwd / file) == (128, 128)  # 1:1 at 2K, at the fake's 1/16 scale
    assert json.loads(listed.stdout) == [{"task_id": task_id, "status": "COMPLETED"}]
    assert listed_text.stdout == f"{task_id} COMPLETED\n"


def test_the_text_of_no_wait_is_the_task_id_alone(cli: Cli, fake: FakeMagnific) -> None:
    result = cli.run("generate", PROMPT, "--no-wait")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == list(fake.tasks)


def test_wait_with_out_downloads(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--poll-interval", "0.05", "generate", PROMPT, "--no-wait"]) == 0
    task_id = capsys.readouterr().out.strip()

    assert main(["--poll-interval", "0.05", "wait", task_id, "--out", "later"]) == 0

    assert capsys.readouterr().out.splitlines() == [str(Path("later") / f"{task_id}_0.png")]
    assert (cli_env / "later" / f"{task_id}_0.png").is_file()


def test_download_of_a_running_task_says_to_wait(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", PROMPT, *SLOW_TASK, "--no-wait"]) == 0
    task_id = capsys.readouterr().out.strip()

    assert main(["download", task_id, "--out", "d"]) == 2

    err = capsys.readouterr().err
    assert f"not COMPLETED yet: run `nano-banana-pro wait {task_id} --out d`" in err
    assert not (cli_env / "d").exists()


def test_list_without_tasks_says_so(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0

    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "no tasks\n")


def test_generate_sends_extra_body_fields_as_they_are(cli: Cli, fake: FakeMagnific) -> None:
    result = cli.run("generate", PROMPT, "--no-wait", "--extra-body", '{"guidance_scale": 42}')

    assert result.returncode == 0, result.stderr
    assert fake.requests[0].json == {
        "prompt": PROMPT,
        "aspect_ratio": "1:1",
        "resolution": "2K",
        "guidance_scale": 42,
    }


def test_extra_body_overwriting_an_option_exits_2_with_nothing_sent(
    cli: Cli, fake: FakeMagnific
) -> None:
    result = cli.run("generate", PROMPT, "--extra-body", '{"resolution": "4K"}')

    assert result.returncode == 2
    assert "extra_body.resolution: is a declared parameter" in result.stderr
    assert fake.requests == []


def test_what_the_service_sends_is_shown_never_obeyed_by_the_terminal(
    cli: Cli, fake: FakeMagnific
) -> None:
    hostile = "DONE\x1b]0;pwned\x07\x1b[2J\x9b"
    task_id = cli.run("generate", PROMPT, "--no-wait").stdout.strip()
    fake.unknown_status_next(hostile, count=3)

    status = cli.run("status", task_id)
    waited = cli.run("wait", task_id, "--timeout", "0.5")

    for text in (status.stdout, waited.stderr):
        assert "\x1b" not in text
        assert "\x07" not in text
        assert "\x9b" not in text
    assert f"{task_id} DONE\\x1b]0;pwned\\x07\\x1b[2J\\x9b" in status.stdout
    assert f"task {task_id}: DONE\\x1b]0;pwned" in waited.stderr  # its progress line


@pytest.mark.usefixtures("cli_env")
def test_generate_goes_on_with_the_task_an_answer_off_the_spec_names(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    creates: list[str] = []
    create = NanoBananaPro.create

    def answered_off_the_spec(self: NanoBananaPro, *args: Any, **options: Any) -> Any:
        made = create(self, *args, **options)
        creates.append(made.task_id)
        error = APIResponseValidationError("no task in the answer", status_code=201)
        error.task_id = made.task_id
        raise error

    monkeypatch.setattr(NanoBananaPro, "create", answered_off_the_spec)
    assert main([*FAST_POLL, "generate", PROMPT, "--json"]) == ExitCode.OK
    captured = capsys.readouterr()
    [task_id] = creates  # one task, waited for and downloaded
    assert json.loads(captured.out)["task_id"] == task_id
    assert "the answer was off the spec" in captured.err


@pytest.mark.usefixtures("cli_env")
def test_a_task_id_that_would_forge_lines_is_printed_escaped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    forged = "\n\r9b2f3c1e-0000-4000-8000-000000000001\x1b[2K"
    monkeypatch.setattr(
        NanoBananaPro, "create", lambda *args, **options: Task(task_id=forged, status="CREATED")
    )
    assert main(["generate", PROMPT, "--no-wait"]) == ExitCode.OK
    captured = capsys.readouterr()
    assert captured.out == "\\n\\r9b2f3c1e-0000-4000-8000-000000000001\\x1b[2K\n"
    assert "\r" not in captured.err
    assert "\x1b" not in captured.err
