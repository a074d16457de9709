"""Fixtures of the contract tests: Prism serving the spec on 127.0.0.1, and the test key."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.contract.validating import SPEC_PATH

REPO_ROOT = SPEC_PATH.parents[1]
PRISM = REPO_ROOT / "node_modules" / ".bin" / "prism"
#: The key the contract tests send to the fake and to Prism (any non-empty key satisfies Prism).
KEY = "contract-test-key"
#: Prism starts in one to three seconds here; allow for a slow CI machine.
PRISM_START_SECONDS = 60.0
PRISM_STOP_SECONDS = 5.0
_LISTENING = "Prism is listening on"


class _PrismOutput:
    """Drains Prism's output (so it never blocks on a full pipe) and notices when it listens."""

    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.lines: list[str] = []
        self.listening = threading.Event()
        self._ended = threading.Event()
        self._base_url = base_url
        self._thread = threading.Thread(
            target=self._read, args=(process,), name="prism-output", daemon=True
        )
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip())
            if _LISTENING in line and self._base_url in line:
                self.listening.set()
        self._ended.set()
        self.listening.set()  # wake the waiter: Prism exited before listening

    def wait_until_listening(self, timeout: float) -> bool:
        """True once Prism listens; False when it exited or `timeout` passed first."""
        return self.listening.wait(timeout) and not self.ended

    @property
    def ended(self) -> bool:
        """True once Prism closed its output (it exited)."""
        return self._ended.is_set()

    def log(self) -> str:
        return "\n".join(self.lines[-200:]) or "(no output)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=PRISM_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=PRISM_STOP_SECONDS)


@pytest.fixture(scope="session")
def prism_url() -> Iterator[str]:
    """Prism (`node_modules/.bin/prism`, pinned in package.json) mocking the spec.

    It validates every request (`--errors`: an invalid one gets the spec's 4xx) and answers
    with the spec's examples. Fails the test, with Prism's output, when it cannot start.
    """
    if not PRISM.exists():
        pytest.fail(f"{PRISM} is missing: run `make install` (npm ci installs the pinned Prism)")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), "--errors", str(SPEC_PATH)]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},
    )
    output = _PrismOutput(process, base_url)
    try:
        if not output.wait_until_listening(PRISM_START_SECONDS):
            ended = output.ended
            _stop(process)
            why = (
                f"exited with code {process.returncode}"
                if ended
                else f"did not listen within {PRISM_START_SECONDS:g} s"
            )
            pytest.fail(f"Prism {why} (command: {' '.join(command)}). Its output:\n{output.log()}")
        _check_answering(base_url, output)
        yield base_url
    finally:
        _stop(process)


def _check_answering(base_url: str, output: _PrismOutput) -> None:
    try:
        httpx.get(f"{base_url}/v1/ai/text-to-image/nano-banana-pro", timeout=10.0)
    except httpx.HTTPError as error:
        pytest.fail(f"Prism listens but does not answer ({error!r}). Its output:\n{output.log()}")
