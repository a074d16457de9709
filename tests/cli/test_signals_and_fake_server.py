"""Ctrl-C during a wait, and `fake-server` as a developer runs it: URL first, stopped by signal."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from nano_banana_pro import __version__
from nano_banana_pro.cli import ExitCode, main
from tests.cli.conftest import API_KEY, FAST_POLL, PROMPT, SLOW_TASK, Cli, error_lines

FAKE_SERVER = ["fake-server", "--port", "0", "--task-seconds", "0.2"]


def finished(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Its stdout and stderr once it exits (killed if it does not within 20 s)."""
    try:
        return process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_ctrl_c_during_a_wait_says_how_to_resume(cli: Cli) -> None:
    process = cli.popen("generate", PROMPT, *SLOW_TASK)
    assert process.stderr is not None
    first = process.stderr.readline()  # printed as soon as the task exists
    assert re.fullmatch(r"task \S+ created\n", first), first
    task_id = first.split()[1]

    process.send_signal(signal.SIGINT)
    stdout, stderr = finished(process)

    assert process.returncode == ExitCode.INTERRUPTED
    [line] = error_lines(stderr)
    assert f"interrupted; task {task_id} goes on" in line
    assert f"resume with `nano-banana-pro wait {task_id} --out out`" in line
    assert "Traceback" not in stderr
    assert API_KEY not in stdout + stderr


@pytest.fixture
def fake_server(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("MAGNIFIC")}
    process = subprocess.Popen(
        [sys.executable, "-m", "nano_banana_pro.cli", *FAKE_SERVER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    yield process
    finished(process)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_fake_server_serves_any_key_until_stopped(
    fake_server: subprocess.Popen[str],
    stop: signal.Signals,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert fake_server.stdout is not None
    url = fake_server.stdout.readline().strip()  # flushed at once: scripts read it
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)

    code = main([*FAST_POLL, "--base-url", url, "--api-key", "any-key", "generate", PROMPT])
    fake_server.send_signal(stop)
    _, stderr = finished(fake_server)

    assert code == ExitCode.OK
    [image] = capsys.readouterr().out.splitlines()
    assert (tmp_path / image).is_file()
    assert fake_server.returncode == ExitCode.OK
    assert f"export MAGNIFIC_BASE_URL={url}" in stderr
    assert stderr.endswith("fake server stopped\n")


def test_fake_server_sends_signed_webhooks_to_this_machine_only(
    fake_server: subprocess.Popen[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nano_banana_pro import WebhookReceiver
    from nano_banana_pro.testing import DEFAULT_WEBHOOK_SECRET

    seen: list[str] = []
    receiver = WebhookReceiver(
        secret=DEFAULT_WEBHOOK_SECRET, on_task=lambda t: seen.append(t.status)
    )
    with make_server("127.0.0.1", 0, receiver.wsgi, handler_class=_Quiet) as hooks:
        threading.Thread(target=hooks.serve_forever, daemon=True).start()
        monkeypatch.chdir(tmp_path)
        assert fake_server.stdout is not None
        url = fake_server.stdout.readline().strip()
        generate = [*FAST_POLL, "--base-url", url, "--api-key", "k", "generate", PROMPT]
        # TEST-NET-1 is not this machine: not sent there.
        elsewhere = main([*generate, "--webhook-url", "http://192.0.2.1/hook"])
        here = main([*generate, "--webhook-url", f"http://127.0.0.1:{hooks.server_port}/hook"])
        fake_server.send_signal(signal.SIGINT)
        _, stderr = finished(fake_server)
        hooks.shutdown()

    assert (elsewhere, here) == (ExitCode.OK, ExitCode.OK)
    assert seen[-1] == "COMPLETED"  # each verified with the secret the server announced
    assert f"signed with the secret {DEFAULT_WEBHOOK_SECRET!r}" in stderr


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log in the test's output."""


def test_fake_server_on_a_taken_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["fake-server", "--port", str(port)])

    assert code == ExitCode.BAD_INPUT
    [line] = error_lines(capsys.readouterr().err)
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert "--port 0" in line


def test_importing_the_package_does_not_import_the_cli() -> None:
    script = "import sys, nano_banana_pro; print('nano_banana_pro.cli' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout == "False\n"


def test_python_dash_m_runs_the_cli_and_importing_it_runs_nothing() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "nano_banana_pro", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (version.returncode, version.stdout) == (0, f"nano-banana-pro {__version__}\n")
    usage = subprocess.run(
        [sys.executable, "-m", "nano_banana_pro"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2
    assert "usage: nano-banana-pro" in usage.stderr
    script = "import sys, nano_banana_pro.__main__; print('nano_banana_pro.cli' in sys.modules)"
    imported = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert imported.stdout == "False\n"
