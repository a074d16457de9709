"""What commands print on stdout: text for people, or one JSON document with --json."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..task import Task

__all__ = ["print_files", "print_json", "print_tasks", "printable", "task_json"]

#: What could drive a terminal or forge a line: C0 (newline and tab too), DEL, C1, and the
#: bidirectional controls that reorder what is shown.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    r"""One line of `text`, its control characters as escapes (`\x1b`, `\n`): never obeyed.

    What the service sends (a status, an id, a message) is shown as it is, not run.
    """
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


def task_json(
    task: Task, *, files: Sequence[Path] | None = None, images: bool = True
) -> dict[str, Any]:
    """The task as the service sent it (unknown fields kept), with `files` when some were saved.

    Args:
        task: The task.
        files: The files saved, if any were.
        images: False when the answer did not report the task's images (the list's items):
            then `generated` is left as the service sent it, absent, rather than shown empty.
    """
    document: dict[str, Any] = {**task.raw, "task_id": task.task_id, "status": str(task.status)}
    if images:
        document["generated"] = list(task.generated)
    if files is not None:
        document["files"] = [str(path) for path in files]
    return document


def print_json(document: object) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


def print_tasks(tasks: Sequence[Task]) -> None:
    """`<task_id> <STATUS>` per task, each image URL below its task."""
    for task in tasks:
        sys.stdout.write(printable(f"{task.task_id} {task.status}") + "\n")
        for url in task.generated:
            sys.stdout.write(printable(f"  {url}") + "\n")
    sys.stdout.flush()


def print_files(files: Sequence[Path]) -> None:
    """One saved file per line."""
    for path in files:
        sys.stdout.write(f"{path}\n")
    sys.stdout.flush()
