"""What the benchmark scripts share: arguments, statistics, subprocesses, the fake server, output.

Every script prints one summary line starting with `RESULT <id>` and, as its last line, a JSON
blob (`run_all.py` reads it). Figures are reported as min/median/max over repeated runs; a goal
is judged on the median.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import queue
import statistics
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
SERVER_SCRIPT = BENCH_DIR / "_fake_server.py"
#: A child process that does not answer within this many seconds is killed.
DEFAULT_CHILD_TIMEOUT = 120.0


def parse_args(description: str, *, extra: Sequence[tuple[str, dict[str, Any]]] = ()) -> Any:
    """The common options (`--smoke`, `--runs`), plus a script's own ones."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--smoke", action="store_true", help="one tiny run: checks the script works, no figures"
    )
    parser.add_argument("--runs", type=int, default=None, help="repetitions (default per script)")
    for flag, options in extra:
        parser.add_argument(flag, **options)
    arguments = parser.parse_args()
    os.environ["MAGNIFIC_CACHE_DIR"] = ""  # clients learn from their own tasks, not the user's
    return arguments


def spread(values: Sequence[float]) -> dict[str, float]:
    """min, median and max of `values`."""
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
    }


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of `values`."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * share)) - 1]


def fmt(figure: dict[str, float], *, digits: int = 2, unit: str = "") -> str:
    """`min / median / max` of a spread, for a summary line or a table cell."""
    return " / ".join(f"{figure[key]:.{digits}f}{unit}" for key in ("min", "median", "max"))


def misses(goals: dict[str, bool]) -> list[str]:
    """The names of the goals not met (`goals` maps each name to whether it was met)."""
    return [name for name, met in goals.items() if not met]


def report(result: dict[str, Any], summary: str) -> None:
    """Print the summary line, then the JSON blob as the last line."""
    verdict = "met" if result["met"] else f"missed ({', '.join(result['misses'])})"
    print(f"RESULT {result['id']} {verdict}: {summary}", flush=True)
    print(json.dumps(result, sort_keys=True), flush=True)


def child_env() -> dict[str, str]:
    """The environment for child interpreters: no client settings, logging or cache leaking in."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MAGNIFIC_", "PYTHONPROFILE", "PYTHONTRACEMALLOC"))
    }
    return {**kept, "MAGNIFIC_CACHE_DIR": ""}  # nor the user's learned completion times


def run_json(command: Sequence[str], *, timeout: float = DEFAULT_CHILD_TIMEOUT) -> Any:
    """Run a child to completion and return the JSON on its last stdout line.

    Raises:
        RuntimeError: the child failed, timed out, or printed no JSON.
    """
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and scripts
            list(command),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=child_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"{' '.join(command)} timed out after {timeout:g}s") from error
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return json.loads(lines[-1])


class FakeServer:
    """A `_fake_server.py` child: its base URL, and its counts once stopped."""

    def __init__(self, process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        self._process = process
        self._lines = lines
        self.base_url = ""
        self.stats: dict[str, Any] = {}

    def read_line(self, timeout: float) -> str:
        """The child's next stdout line.

        Raises:
            RuntimeError: it printed nothing in time, or exited.
        """
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"the fake server said nothing within {timeout:g}s") from None
        if line is None:
            raise RuntimeError(f"the fake server exited ({self._process.poll()})")
        return line.strip()

    def stop(self, timeout: float) -> None:
        """Close its stdin (it stops and prints its counts), then wait for it."""
        with contextlib.suppress(OSError):
            if self._process.stdin is not None:
                self._process.stdin.close()
        self.stats = json.loads(self.read_line(timeout))
        self._process.wait(timeout=timeout)


@contextlib.contextmanager
def fake_server(
    *,
    in_progress_after: float,
    complete_after: float,
    image_min_bytes: int = 0,
    rate_scale: float | None = None,
    timeout: float = 30.0,
) -> Iterator[FakeServer]:
    """Run the fake on 127.0.0.1 (port 0) in its own process; always stopped, killed if stuck.

    With `rate_scale`, it enforces the documented windows, their lengths times `rate_scale`.
    """
    command = [
        sys.executable,
        str(SERVER_SCRIPT),
        f"--in-progress-after={in_progress_after}",
        f"--complete-after={complete_after}",
        f"--image-min-bytes={image_min_bytes}",
        *([] if rate_scale is None else [f"--rate-scale={rate_scale}"]),
    ]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, name="fake-server-stdout", daemon=True)
    reader.start()
    server = FakeServer(process, lines)
    try:
        server.base_url = server.read_line(timeout)
        yield server
        server.stop(timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=timeout)
        reader.join(timeout=timeout)


def current_rss_kb() -> int:
    """The resident set size now, in KiB (Linux), else the peak so far."""
    try:
        fields = Path("/proc/self/statm").read_text().split()
        return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return peak_rss_kb()


def peak_rss_kb() -> int:
    """The peak resident set size of this process so far, in KiB."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes
