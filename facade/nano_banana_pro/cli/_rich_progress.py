"""The terminal progress display drawn with `rich` (the `cli` extra); imported only if installed."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ..task import Task
from ._progress import describe

__all__ = ["RichDisplay"]


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
