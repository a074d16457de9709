"""The terminal progress displays drawn with `rich` (the `cli` extra), imported if installed."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ..task import Task
from ._progress import BatchCounts, describe

__all__ = ["RichBarDisplay", "RichDisplay"]


class RichDisplay:
    """A rich spinner with the status and the elapsed time; the last state stays on screen."""

    def __init__(self, stream: TextIO) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            TimeElapsedColumn(),
            console=Console(file=stream),
        )
        self._row = self._progress.add_task("waiting", total=None)

    def start(self) -> None:
        """Start drawing."""
        self._progress.start()

    def update(self, task: Task) -> None:
        """Show the new status."""
        self._progress.update(self._row, description=describe(task))

    def stop(self) -> None:
        """Stop drawing."""
        self._progress.stop()


class RichBarDisplay:
    """A rich bar with the counts and the elapsed time; failed items' lines print above it."""

    def __init__(self, stream: TextIO, *, total: int) -> None:
        self._counts = BatchCounts(total=total)
        self._progress = Progress(
            BarColumn(),
            TextColumn("{task.description}", markup=False),
            TimeElapsedColumn(),
            console=Console(file=stream),
        )
        self._row = self._progress.add_task(self._counts.describe(), total=total)

    def start(self) -> None:
        """Start drawing."""
        self._progress.start()

    def finished(self, line: str, *, ok: bool) -> None:
        """Count the item; print its line above the bar if it failed."""
        self._counts.add(ok=ok)
        if not ok:
            self._progress.console.print(line, markup=False, highlight=False, soft_wrap=True)
        self._progress.update(
            self._row, completed=self._counts.done, description=self._counts.describe()
        )

    def stop(self) -> None:
        """Stop drawing; the final bar stays on screen."""
        self._progress.stop()
