"""The CLI speaks CLI: the library's Python wording (`overwrite=True`, `base_url`, `list()`)
becomes flags and commands in every error the CLI prints, and only flags and commands it has."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from nano_banana_pro import (
    AsyncNanoBananaPro,
    InvalidRequestError,
    NanoBananaPro,
    NanoBananaProError,
    OutputError,
    Task,
    TaskStatus,
    WaitTimeoutError,
)
from nano_banana_pro._batch import ambiguous_error
from nano_banana_pro._config import resolve_api_key, resolve_base_url
from nano_banana_pro._translate import STATUS_TABLE, error_from_response, error_from_transport
from nano_banana_pro.cli import ExitCode, _commands, main
from nano_banana_pro.cli._failures import cli_wording, exit_code_for
from nano_banana_pro.cli._parser import build_parser
from nano_banana_pro.errors import say_task_may_exist
from nano_banana_pro.testing import FakeMagnific
from tests.cli.conftest import PROMPT, Cli, error_lines

TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
#: What a person at a shell cannot type: keyword arguments, calls, Python parameter names.
PYTHON_WORDING = re.compile(
    r"\b[a-z_]+=(?:True|False|\.\.\.|\s|$)|\b[a-z_.]+\((?:\)|'|\")|\bclient\.|"
    r"(?<![-\w])(?:api_key|base_url|out_dir|max_retries|invalid_params|timeout|retry_failed|"
    r"recreate_ambiguous|overwrite)(?![-\w])"
)


def library_messages() -> dict[str, str]:
    """Every hint and message of the library a CLI command can end with, by where it comes from."""
    request = httpx.Request("GET", "https://api.magnific.com/v1/ai/text-to-image/nano-banana-pro")
    messages = {
        f"HTTP {status}": str(error_from_response(httpx.Response(status, request=request)))
        for status in (*STATUS_TABLE, 500, 418)
    }
    for failure in (httpx.ConnectError("refused"), httpx.ReadTimeout("slow")):
        messages[type(failure).__name__] = str(error_from_transport(failure))
    for name, error in (
        ("create 500", error_from_response(httpx.Response(500, request=request))),
        ("create cut off", error_from_transport(httpx.ReadTimeout("slow", request=request))),
    ):
        say_task_may_exist(error)
        messages[name] = str(error)
    messages["wait deadline"] = str(
        WaitTimeoutError(task_id=TASK_ID, elapsed=1.0, last_status="IN_PROGRESS")
    )
    messages["ambiguous create"] = str(ambiguous_error("a 500 after sending"))
    for name, call in {
        "missing key": lambda: resolve_api_key(""),
        "key with a space": lambda: resolve_api_key("sk with space"),
        "base URL not http": lambda: resolve_base_url("ftp://example.com"),
        "base URL /v1": lambda: resolve_base_url("https://api.magnific.com/v1"),
    }.items():
        with pytest.raises(InvalidRequestError) as caught:
            call()
        messages[name] = str(caught.value)
    messages.update(client_messages())
    return messages


def client_messages() -> dict[str, str]:
    """What the client raises about the request, the task and the files, provoked for real."""
    fake = FakeMagnific(api_key="k")
    redirecting = httpx.MockTransport(
        lambda request: httpx.Response(302, headers={"location": str(request.url)})
    )
    scratch = tempfile.TemporaryDirectory()
    folder = Path(scratch.name)
    (folder / "a-file").write_text("in the way")
    running = Task(task_id=TASK_ID, status=TaskStatus.IN_PROGRESS)
    images_elsewhere = Task(
        task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=("https://images.example/a.png",)
    )
    with (
        scratch,
        NanoBananaPro(api_key="k", transport=fake.transport(), clock=fake.clock) as client,
        NanoBananaPro(api_key="k", transport=redirecting) as redirected,
    ):
        done = client.generate(PROMPT)
        client.download(done, folder)
        calls: dict[str, Callable[[], object]] = {
            "declared extra_body field": lambda: client.create(
                PROMPT, extra_body={"aspect_ratio": "1:1"}
            ),
            "file in the way": lambda: client.download(done, folder),
            "not completed": lambda: client.download(running, folder),
            "out is a file": lambda: client.download(done, folder / "a-file"),
            "out cannot be made": lambda: client.download(done, folder / "a-file" / "sub"),
            "endless redirects": lambda: redirected.download(images_elsewhere, folder),
        }
        messages = {}
        for name, call in calls.items():
            with pytest.raises(NanoBananaProError) as caught:
                call()
            messages[name] = str(caught.value)
    return messages


MESSAGES = library_messages()


def test_the_library_itself_keeps_its_python_names() -> None:
    for source in ("HTTP 401", "HTTP 404", "ambiguous create", "file in the way", "base URL /v1"):
        assert PYTHON_WORDING.search(MESSAGES[source]), source


@pytest.mark.parametrize("message", MESSAGES.values(), ids=MESSAGES.keys())
def test_no_python_wording_reaches_the_command_line(message: str) -> None:
    worded = cli_wording(message)

    assert not PYTHON_WORDING.search(worded), worded


@pytest.mark.parametrize("message", MESSAGES.values(), ids=MESSAGES.keys())
def test_the_flags_and_commands_named_exist(message: str) -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    flags = {
        flag
        for command in commands.values()
        for action in command._actions
        for flag in action.option_strings
    }
    worded = cli_wording(message)

    assert set(re.findall(r"--[a-z-]+", worded)) <= flags, worded
    assert set(re.findall(r"`nano-banana-pro ([a-z-]+)", worded)) <= set(commands), worded


@pytest.mark.parametrize(
    ("python", "cli"),
    [
        ("out/a.png exists; pass overwrite=True to replace it", "pass --overwrite to replace it"),
        ("Check the key: pass api_key=... or set MAGNIFIC_API_KEY", "pass --api-key or set"),
        ("base_url: must be an absolute http(s) URL", "--base-url: must be an absolute"),
        ("with recreate_ambiguous=True (CLI: --recreate-ambiguous)", "with --recreate-ambiguous"),
        ("create it anew with retry_failed=True", "create it anew with --retry-failed"),
        ("out_dir: cannot create out (Permission denied)", "--out: cannot create out"),
        ("is a declared parameter: pass prompt=... instead", "pass the prompt (the first argu"),
        ("pass another file to RateLimit(shared=...)", "pass another file to --rate-file"),
    ],
)
def test_the_table_rewrites_python_into_flags(python: str, cli: str) -> None:
    assert cli in cli_wording(python)


def test_an_output_error_is_bad_input() -> None:
    assert exit_code_for(OutputError("out/a.png exists", path="out/a.png")) == ExitCode.BAD_INPUT


@pytest.mark.parametrize("command", ["download", "wait"])
def test_an_existing_file_exits_2_and_names_the_flag(
    cli: Cli, fake: FakeMagnific, command: str
) -> None:
    created = cli.run("generate", PROMPT, "--json")
    task_id = json.loads(created.stdout)["task_id"]

    again = cli.run(command, task_id, "--out", "out")

    assert again.returncode == ExitCode.BAD_INPUT, again.stderr
    [line] = error_lines(again.stderr)
    assert "exists; pass --overwrite to replace it" in line
    assert "overwrite=True" not in line
    assert cli.run(command, task_id, "--out", "out", "--overwrite").returncode == ExitCode.OK


@pytest.mark.parametrize(
    "url",
    [
        "https://api.magnific.com/v1",
        "https://api.magnific.com/v1/",
        "https://api.magnific.com/v1/ai/text-to-image/nano-banana-pro",
    ],
)
@pytest.mark.parametrize("client_class", [NanoBananaPro, AsyncNanoBananaPro])
def test_a_base_url_with_the_apis_own_path_is_refused_with_a_hint(
    client_class: type[NanoBananaPro | AsyncNanoBananaPro], url: str
) -> None:
    with pytest.raises(InvalidRequestError, match="drop") as caught:
        client_class(api_key="k", base_url=url)

    assert caught.value.field == "base_url"
    assert "/v1" in str(caught.value)


def test_a_base_url_with_v1_from_the_environment_is_refused_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAGNIFIC_BASE_URL", "https://api.magnific.com/v1")

    with pytest.raises(InvalidRequestError, match="drop"):
        NanoBananaPro(api_key="k")


@pytest.mark.parametrize("url", ["https://api.magnific.com", "http://127.0.0.1:8787/proxy/"])
def test_a_base_url_at_a_root_or_a_proxy_path_is_kept(url: str) -> None:
    assert resolve_base_url(url) == url.rstrip("/")


def test_the_cli_refuses_a_v1_base_url_before_sending(
    cli: Cli, fake: FakeMagnific, base_url: str
) -> None:
    result = cli.run("--base-url", f"{base_url}/v1", "status", TASK_ID)

    assert result.returncode == ExitCode.BAD_INPUT
    [line] = error_lines(result.stderr)
    assert "--base-url: " in line
    assert "drop" in line
    assert "No such task" not in line
    assert fake.count() == 0


def test_a_404_says_to_check_the_id_and_the_base_url(cli: Cli) -> None:
    assert "base_url" in MESSAGES["HTTP 404"]

    result = cli.run("status", TASK_ID)

    assert result.returncode == ExitCode.BAD_INPUT
    [line] = error_lines(result.stderr)
    assert "`nano-banana-pro list`" in line
    assert "--base-url" in line
    assert not PYTHON_WORDING.search(line), line


def test_a_wrong_key_names_the_flag(cli: Cli) -> None:
    result = cli.run("list", api_key="sk-wrong-key")

    [line] = error_lines(result.stderr)
    assert "pass --api-key or set MAGNIFIC_API_KEY" in line
    assert not PYTHON_WORDING.search(line), line


def test_a_service_refusal_lists_the_invalid_params(cli: Cli, fake: FakeMagnific) -> None:
    body = {
        "message": "Invalid",
        "invalid_params": [{"name": "guidance_scale", "reason": "Too large"}],
    }
    fake.fail_next(400, on="create", body=body)

    result = cli.run("generate", PROMPT, "--extra-body", '{"guidance_scale": 99999999}')

    assert result.returncode == ExitCode.BAD_INPUT
    [line] = error_lines(result.stderr)
    assert "guidance_scale: Too large" in line
    assert not PYTHON_WORDING.search(line), line


@pytest.mark.usefixtures("cli_env")
def test_the_json_failure_document_speaks_cli_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail_after_creating(client: NanoBananaPro, task: object, *, timeout: object) -> object:
        raise NanoBananaProError("could not talk to the service; check the network and base_url")

    monkeypatch.setattr(_commands, "_wait", fail_after_creating)
    assert main(["generate", PROMPT, "--json"]) == ExitCode.SERVICE

    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert "check the network and --base-url;" in document["error"]
    [line] = error_lines(captured.err)
    assert document["error"] in line  # one message, on stderr and in the document alike


def test_list_json_does_not_claim_tasks_have_no_images(cli: Cli) -> None:
    task_id = json.loads(cli.run("generate", PROMPT, "--json").stdout)["task_id"]

    listed = cli.run("list", "--json")

    assert json.loads(listed.stdout) == [{"task_id": task_id, "status": "COMPLETED"}]
    status = json.loads(cli.run("status", task_id, "--json").stdout)
    assert len(status["generated"]) == 1  # the task-by-id answer does report them


def test_a_batch_line_speaks_cli(tmp_path: Path) -> None:
    line = cli_wording(str(ambiguous_error("ReadTimeout")))

    assert "check the key's tasks (`nano-banana-pro list`) before" in line
    assert line.endswith("with --recreate-ambiguous")
