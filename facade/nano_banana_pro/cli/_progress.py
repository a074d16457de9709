"""Live progress on stderr: a spinner or a bar on a terminal, plain lines otherwise.

A wait shows a spinner, a batch a bar. On a terminal, `rich` draws them when it is installed
(`pip install ".[cli]"`); without it, a line of our own redrawn in place.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol, TextIO

import attrs

from ..task import Task
from ._output import printable

__all__ = [
    "BarDisplay",
    "BatchCounts",
    "BatchLineDisplay",
    "LineDisplay",
    "SpinnerDisplay",
    "batch_display",
    "describe",
    "status_display",
]

_SPINNER_FRAMES = "|/-\\"
_REDRAW_INTERVAL = 0.1
_CLEAR_LINE = "\r\x1b[K"
_BAR_WIDTH = 24


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
    if not _rich_installed():
        return SpinnerDisplay(stream)
    from ._rich_progress import RichDisplay

    return RichDisplay(stream)


def _rich_installed() -> bool:
    try:
        importlib.import_module(f"{__package__}._rich_progress")  # imports rich
    except ImportError:  # the `cli` extra is not installed
        return False
    return True


def describe(task: Task) -> str:
    """`task <id>: <STATUS>`, the text every display shows (control characters escaped)."""
    return printable(f"task {task.task_id}: {task.status}")


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
        self._text = "waiting"
        self._started = time.monotonic()
        frames = itertools.cycle(_SPINNER_FRAMES)
        self._live = _LiveLine(stream, render=lambda: f"{next(frames)} {self._line()}")

    def start(self) -> None:
        """Start drawing."""
        self._started = time.monotonic()
        self._live.start()

    def update(self, task: Task) -> None:
        """Show the new status from the next frame on."""
        self._text = describe(task)

    def stop(self) -> None:
        """Stop drawing and leave the last status on its own line."""
        self._live.stop(final=self._line())

    def _line(self) -> str:
        return f"{self._text} ({time.monotonic() - self._started:.1f}s)"


class _BatchDisplay(Protocol):
    def start(self) -> None: ...

    def finished(self, line: str, *, ok: bool) -> None: ...

    def stop(self) -> None: ...


@contextlib.contextmanager
def batch_display(stream: TextIO, *, total: int) -> Iterator[Callable[[str, bool], None]]:
    """Show a batch's progress on `stream`; yield `finished(line, ok)`, called per item."""
    display = _batch_display_for(stream, total=total)
    display.start()
    try:
        yield lambda line, ok: display.finished(line, ok=ok)
    finally:
        display.stop()


def _batch_display_for(stream: TextIO, *, total: int) -> _BatchDisplay:
    if not stream.isatty():
        return BatchLineDisplay(stream)
    if not _rich_installed():
        return BarDisplay(stream, total=total)
    from ._rich_progress import RichBarDisplay

    return RichBarDisplay(stream, total=total)


@attrs.define(kw_only=True)
class BatchCounts:
    """How far a batch got; what every bar shows."""

    total: int
    completed: int = 0
    failed: int = 0

    def add(self, *, ok: bool) -> None:
        """Count one finished item."""
        if ok:
            self.completed += 1
        else:
            self.failed += 1

    @property
    def done(self) -> int:
        """Items finished, either way."""
        return self.completed + self.failed

    def describe(self) -> str:
        """`3 completed, 1 failed of 10`."""
        return f"{self.completed} completed, {self.failed} failed of {self.total}"


class BatchLineDisplay:
    """One line per finished item: for logs and pipes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def start(self) -> None:
        """Nothing to draw before the first item finishes."""

    def finished(self, line: str, *, ok: bool) -> None:
        """Print the item's line, whatever became of it."""
        self._stream.write(f"{line}\n")
        self._stream.flush()

    def stop(self) -> None:
        """Nothing to clean up."""


class BarDisplay:
    """A bar redrawn in place, with the counts and the elapsed time (no dependency).

    Failed items' lines scroll above it; completed items only move the bar.
    """

    def __init__(self, stream: TextIO, *, total: int) -> None:
        self._counts = BatchCounts(total=total)
        self._started = time.monotonic()
        self._live = _LiveLine(stream, render=self._line)

    def start(self) -> None:
        """Start drawing."""
        self._started = time.monotonic()
        self._live.start()

    def finished(self, line: str, *, ok: bool) -> None:
        """Count the item; print its line above the bar if it failed."""
        self._counts.add(ok=ok)
        if not ok:
            self._live.write_above(line)

    def stop(self) -> None:
        """Stop drawing and leave the final counts on their own line."""
        self._live.stop(final=self._line())

    def _line(self) -> str:
        counts = self._counts
        filled = _BAR_WIDTH if counts.total == 0 else _BAR_WIDTH * counts.done // counts.total
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        return f"[{bar}] {counts.describe()} ({time.monotonic() - self._started:.1f}s)"


class _LiveLine:
    """A line a background thread redraws in place; text written above it scrolls up."""

    def __init__(self, stream: TextIO, *, render: Callable[[], str]) -> None:
        self._stream = stream
        self._render = render
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._redraw, name="nano-banana-pro-progress")
        self._thread.daemon = True

    def start(self) -> None:
        """Draw now, and every tick until `stop()`."""
        self._thread.start()

    def write_above(self, text: str) -> None:
        """Put `text` on its own line; the live line comes back on the next tick."""
        self._write(f"{_CLEAR_LINE}{text}\n")

    def stop(self, *, final: str) -> None:
        """Stop redrawing and leave `final` in place of the live line."""
        self._stopped.set()
        self._thread.join()
        self._write(f"{_CLEAR_LINE}{final}\n")

    def _redraw(self) -> None:
        while True:
            self._write(f"{_CLEAR_LINE}{self._render()}")
            if self._stopped.wait(_REDRAW_INTERVAL):
                return

    def _write(self, text: str) -> None:
        with self._lock:
            self._stream.write(text)
            self._stream.flush()
