"""Live progress of a wait on stderr: a spinner on a terminal, plain lines otherwise.

On a terminal, `rich` draws the spinner when it is installed (`pip install
magnific-nano-banana-pro[cli]`); without it, a small spinner of our own does.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol, TextIO

from ..task import Task

__all__ = ["LineDisplay", "SpinnerDisplay", "describe", "status_display"]

_SPINNER_FRAMES = "|/-\\"
_SPINNER_INTERVAL = 0.1
_CLEAR_LINE = "\r\x1b[K"


class _Display(Protocol):
    def start(self) -> None: ...

    def update(self, task: Task) -> None: ...

    def stop(self) -> None: ...


@contextlib.contextmanager
def status_display(stream: TextIO) -> Iterator[Callable[[Task], None]]:
    """Show a wait's progress on `stream`; yield the callback for each status change."""
    display = _display_for(stream)
    display.start()
    try:
        yield display.update
    finally:
        display.stop()


def _display_for(stream: TextIO) -> _Display:
    if not stream.isatty():
        return LineDisplay(stream)
    try:
        from ._rich_progress import RichDisplay
    except ImportError:  # the `cli` extra is not installed
        return SpinnerDisplay(stream)
    return RichDisplay(stream)


def describe(task: Task) -> str:
    """`task <id>: <STATUS>`, the text every display shows."""
    return f"task {task.task_id}: {task.status}"


class LineDisplay:
    """One line per status change, with the time elapsed: for logs and pipes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._started = time.monotonic()

    def start(self) -> None:
        """Start counting the elapsed time."""
        self._started = time.monotonic()

    def update(self, task: Task) -> None:
        """Print the new status."""
        elapsed = time.monotonic() - self._started
        self._stream.write(f"{describe(task)} ({elapsed:.1f}s)\n")
        self._stream.flush()

    def stop(self) -> None:
        """Nothing to clean up."""


class SpinnerDisplay:
    """One line redrawn in place: spinner, status and elapsed time (no dependency)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._text = "waiting"
        self._started = time.monotonic()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._spin, name="nano-banana-pro-spinner")
        self._thread.daemon = True

    def start(self) -> None:
        """Start drawing."""
        self._started = time.monotonic()
        self._thread.start()

    def update(self, task: Task) -> None:
        """Show the new status from the next frame on."""
        self._text = describe(task)

    def stop(self) -> None:
        """Stop drawing and leave the last status on its own line."""
        self._stopped.set()
        self._thread.join()
        self._stream.write(f"{_CLEAR_LINE}{self._line()}\n")
        self._stream.flush()

    def _spin(self) -> None:
        for frame in itertools.cycle(_SPINNER_FRAMES):
            self._stream.write(f"{_CLEAR_LINE}{frame} {self._line()}")
            self._stream.flush()
            if self._stopped.wait(_SPINNER_INTERVAL):
                return

    def _line(self) -> str:
        return f"{self._text} ({time.monotonic() - self._started:.1f}s)"
