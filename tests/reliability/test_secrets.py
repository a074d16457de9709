"""The API key never shows: not in reprs, not in errors, not in the debug log on stderr.

(The fault matrix runs every fault with `MAGNIFIC_LOG=debug` and checks logs, the exception
chain and the client's repr; these tests cover what it cannot.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from nano_banana_pro import InvalidRequestError, NanoBananaProError
from nano_banana_pro.cli import main as cli_main
from nano_banana_pro.clock import SystemClock, VirtualClock
from nano_banana_pro.testing import API_PATH, FakeMagnific, Schedule
from tests.reliability.conftest import API_KEY, PROMPT, TASK_ID, LeakGuard
from tests.reliability.faults import ok_body
from tests.reliability.rawserver import RawServer, closed_port, respond


def test_the_client_repr_never_shows_the_key(make_client: Any) -> None:
    client = make_client()
    for text in (str(client), repr(client), f"{client!r:>10}"):
        assert API_KEY not in text
    assert "***" in repr(client)


@pytest.mark.parametrize(
    "suffix", ["\nX-Injected: 1", "\r\n", "\x00"], ids=["newline", "crlf", "nul"]
)
def test_a_key_the_http_layer_refuses_never_shows_in_the_error(
    make_client: Any, caplog: pytest.LogCaptureFixture, suffix: str
) -> None:
    key = f"{API_KEY}-{suffix}-tail"
    with RawServer(lambda request: respond(200, ok_body("list"))) as server:
        with pytest.raises(NanoBananaProError) as caught:
            make_client(api_key=key, base_url=server.base_url, max_retries=0).list()
        requests = server.received()
    LeakGuard(caplog, API_KEY).assert_clean(caught.value)
    assert isinstance(caught.value, InvalidRequestError), "refuse such a key up front"
    assert requests == 0


SCRIPT = """
import sys
from nano_banana_pro import NanoBananaPro, NanoBananaProError

out_dir, closed_port = sys.argv[1], sys.argv[2]
with NanoBananaPro(max_retries=0) as client:
    print(repr(client), client)
    task = client.create("{prompt}")
    print(client.get(task), client.list())
    print(client.download(client.wait(task, wait_timeout=30), out_dir))
    unreachable = NanoBananaPro(max_retries=0, base_url=f"http://127.0.0.1:{{closed_port}}")
    for call in (lambda: client.get("{unknown}"), lambda: unreachable.list()):
        try:
            call()
        except NanoBananaProError as error:
            print(repr(error), error, error.args, repr(error.__cause__), repr(error.__context__))
"""


def test_the_debug_log_on_stderr_never_shows_the_key(tmp_path: Path) -> None:
    fake = FakeMagnific(api_key=API_KEY, schedule=Schedule(in_progress_after=0, complete_after=0))
    with fake.serve() as base_url:
        env = {
            **os.environ,
            "MAGNIFIC_API_KEY": API_KEY,
            "MAGNIFIC_BASE_URL": base_url,
            "MAGNIFIC_LOG": "debug",
        }
        script = textwrap.dedent(SCRIPT).format(prompt=PROMPT, unknown=TASK_ID)
        result = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path), str(closed_port())],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "request POST" in result.stderr, "MAGNIFIC_LOG=debug logged nothing"
    assert "<redacted>" in result.stderr
    assert "HTTP 404" in result.stdout
    assert "ConnectError" in result.stdout
    assert API_KEY not in result.stdout
    assert API_KEY not in result.stderr


# --- the command line -----------------------------------------------------------------------

FAST = Schedule(in_progress_after=0, complete_after=0)
NEVER = Schedule(in_progress_after=0, complete_after=10**9)


@dataclass(frozen=True)
class CliCase:
    """One CLI run: its arguments (`{task}`, `{out}`, `{closed}` filled in), the fake's
    schedule and faults, the key in the environment, and whether it must succeed."""

    args: tuple[str, ...]
    ok: bool = False
    schedule: Schedule = FAST
    faults: Callable[[FakeMagnific], None] | None = None
    env_key: str = API_KEY


CLI_CASES = {
    "generate": CliCase(("generate", PROMPT, "--out", "{out}", "--json"), ok=True),
    "status-unknown-task": CliCase(("status", TASK_ID)),
    "list-refused": CliCase(("list", "--base-url", "http://127.0.0.1:{closed}")),
    "wait-past-deadline": CliCase(("wait", "{task}", "--timeout", "0.3"), schedule=NEVER),
    "download-404": CliCase(
        ("download", "{task}", "--out", "{out}"),
        faults=lambda fake: fake.fail_next(404, on="image"),
    ),
    "wrong-key-in-env": CliCase(("list",), env_key=f"{API_KEY}-revoked"),
    "wrong-key-in-argv": CliCase(("--api-key", f"{API_KEY}-revoked", "list")),
    "key-in-argv-usage-error": CliCase(("--api-key", API_KEY, "list", "--bogus")),
    "key-with-newline": CliCase(("list",), env_key=f"{API_KEY}\nX-Injected: 1"),
}


@pytest.fixture
def virtual_time(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    """The CLI's clients run on SystemClock: make it virtual, so retries and waits are instant."""
    clock = VirtualClock()
    monkeypatch.setattr(SystemClock, "monotonic", lambda self: clock.monotonic())
    monkeypatch.setattr(SystemClock, "sleep", lambda self, seconds: clock.sleep(seconds))
    monkeypatch.setattr(SystemClock, "asleep", lambda self, seconds: clock.asleep(seconds))
    for wakeable in ("wait_event", "await_event"):  # a clock that only sleeps: waits sleep it
        monkeypatch.delattr(SystemClock, wakeable)
    return clock


@pytest.mark.parametrize("debug", [False, True], ids=["quiet", "debug"])
@pytest.mark.parametrize("case", list(CLI_CASES.values()), ids=list(CLI_CASES))
@pytest.mark.usefixtures("virtual_time")
def test_the_cli_never_prints_the_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: CliCase,
    debug: bool,
) -> None:
    fake = FakeMagnific(api_key=API_KEY, schedule=case.schedule)
    with fake.serve() as base_url:
        task_id = create_task(base_url)
        if case.faults is not None:
            case.faults(fake)
        fill = {"task": task_id, "out": str(tmp_path), "closed": closed_port()}
        args = [arg.format(**fill) for arg in case.args]
        monkeypatch.setenv("MAGNIFIC_API_KEY", case.env_key)
        monkeypatch.setenv("MAGNIFIC_BASE_URL", base_url)
        exit_code = cli_main(["--debug", *args] if debug else args)
        sent = len(fake.requests) - 1

    printed = capsys.readouterr()
    assert (exit_code == 0) is case.ok, printed.err[-2000:]
    assert API_KEY not in printed.out
    assert API_KEY not in printed.err, printed.err[-2000:]
    if debug and sent:
        assert "<redacted>" in printed.err, "--debug logged no request"


def test_the_cli_entry_point_with_magnific_log_never_prints_the_key(tmp_path: Path) -> None:
    fake = FakeMagnific(api_key=API_KEY, schedule=FAST)
    with fake.serve() as base_url:
        env = {
            **os.environ,
            "MAGNIFIC_API_KEY": API_KEY,
            "MAGNIFIC_BASE_URL": base_url,
            "MAGNIFIC_LOG": "debug",
        }
        results = [
            subprocess.run(
                [sys.executable, "-m", "nano_banana_pro.cli", "--debug", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            for args in (["generate", PROMPT, "--out", str(tmp_path)], ["status", TASK_ID])
        ]

    assert [result.returncode == 0 for result in results] == [True, False]
    for result in results:
        assert "<redacted>" in result.stderr
        assert API_KEY not in result.stdout
        assert API_KEY not in result.stderr


def create_task(base_url: str) -> str:
    response = httpx.post(
        f"{base_url}{API_PATH}", json={"prompt": PROMPT}, headers={"x-magnific-api-key": API_KEY}
    )
    task_id: str = response.json()["data"]["task_id"]
    return task_id
