"""Fixtures for the CLI's tests: a fake served over HTTP on real time, and ways to run the CLI.

The CLI runs as a subprocess (`python -m nano_banana_pro.cli`), as users run it, or in-process
through `main()` where that is enough. Tasks at 2K finish 0.3 s after creation; at 4K they take
a minute, for the tests that need a task still running.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from nano_banana_pro.clock import SystemClock
from nano_banana_pro.testing import FakeMagnific, Schedule

#: Recognisable and random: any appearance in the CLI's output is a leak.
API_KEY = f"sk-cli-test-{secrets.token_hex(12)}"
#: A fast, fixed poll (a hidden option), so that waits end soon after the fake's task does.
FAST_POLL = ["--poll-interval", "0.05"]
QUICK = Schedule(in_progress_after=0.1, complete_after=0.3)
SLOW = Schedule(in_progress_after=0.1, complete_after=60.0)
#: `generate` options that make the fake's task take a minute.
SLOW_TASK = ["--resolution", "4K"]
PROMPT = "A suited raccoon smoking a pipe in a vintage study room"


@pytest.fixture
def fake() -> FakeMagnific:
    """The fake on real time: quick tasks at 1K and 2K, slow ones at 4K."""
    return FakeMagnific(
        api_key=API_KEY, clock=SystemClock(), schedule={"1K": QUICK, "2K": QUICK, "4K": SLOW}
    )


@pytest.fixture
def base_url(fake: FakeMagnific) -> Iterator[str]:
    with fake.serve() as url:
        yield url


@attrs.frozen
class Cli:
    """Runs the CLI as a subprocess in `cwd`, configured by the environment like a user's."""

    base_url: str
    cwd: Path

    def env(self, *, api_key: str | None) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("MAGNIFIC")}
        env["MAGNIFIC_BASE_URL"] = self.base_url
        env["MAGNIFIC_CACHE_DIR"] = ""  # no run learns from another through the user's cache
        if api_key is not None:
            env["MAGNIFIC_API_KEY"] = api_key
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "nano_banana_pro.cli", *FAST_POLL, *args]

    def run(self, *args: str, api_key: str | None = API_KEY) -> subprocess.CompletedProcess[str]:
        """Run to the end; fail the test if the API key shows up anywhere in the output."""
        result = subprocess.run(
            self.command(*args),
            cwd=self.cwd,
            env=self.env(api_key=api_key),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert API_KEY not in result.stdout + result.stderr, "the API key was printed"
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            cwd=self.cwd,
            env=self.env(api_key=API_KEY),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def cli(base_url: str, tmp_path: Path) -> Cli:
    return Cli(base_url=base_url, cwd=tmp_path)


@pytest.fixture
def cli_env(base_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """For `main([...])` in this process: the environment pointed at the fake, cwd in tmp_path."""
    for name in list(os.environ):
        if name.startswith("MAGNIFIC"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MAGNIFIC_BASE_URL", base_url)
    monkeypatch.setenv("MAGNIFIC_API_KEY", API_KEY)
    monkeypatch.setenv("MAGNIFIC_CACHE_DIR", "")
    monkeypatch.chdir(tmp_path)
    return tmp_path


_ERROR_LINE = re.compile(r"^nano-banana-pro( [a-z-]+)?: error: ")


def error_lines(stderr: str) -> list[str]:
    """The CLI's error lines (argparse's included): exactly one per failure."""
    return [line for line in stderr.splitlines() if _ERROR_LINE.match(line)]
