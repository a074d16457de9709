"""What a batch says: a line per item, the results file (from the ledger), the summary, its code."""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from .._batch import BatchRequest, BatchResult
from .._files import write_atomically
from ..errors import AmbiguousCreateError, InvalidRequestError, TaskFailedError
from ..gallery import cards_from_records, write_gallery
from ..ledger import TaskLedger
from ._batch_file import Item
from ._failures import ExitCode, cli_wording, describe_error, exit_code_for
from ._output import print_files, print_json, printable

__all__ = [
    "LiveGallery",
    "Outcome",
    "describe",
    "exit_code",
    "outcomes",
    "report",
    "write_results",
]

#: One line of the results file.
Record = dict[str, Any]


@attrs.frozen(kw_only=True)
class Outcome:
    """An item of the file, what became of it in this run (if it finished), and its record."""

    item: Item
    result: BatchResult | None
    record: Record

    @property
    def kind(self) -> str:
        """`completed`, `skipped`, `invalid`, `ambiguous`, `failed`, or `unfinished`."""
        result = self.result
        if result is None:
            return "unfinished"
        if result.ok:
            return "skipped" if result.recorded else "completed"
        if isinstance(result.error, InvalidRequestError) and not result.key:
            return "invalid"
        return "ambiguous" if isinstance(result.error, AmbiguousCreateError) else "failed"


def outcomes(
    items: Sequence[Item],
    requests: Sequence[BatchRequest],
    finished: Mapping[int, BatchResult],
    ledger: TaskLedger,
) -> list[Outcome]:
    """Every item's outcome, in file order, its record read from the ledger."""
    return [
        Outcome(
            item=item,
            result=finished.get(item.index),
            record=_record(item, request, finished.get(item.index), ledger),
        )
        for item, request in zip(items, requests, strict=True)
    ]


def _record(
    item: Item, request: BatchRequest, result: BatchResult | None, ledger: TaskLedger
) -> Record:
    entry = ledger.get(request.key) if request.key else None
    error = request.error or (None if result is None else result.error)
    record: Record = {"line": item.line, "index": item.index, "input": item.parameters}
    record.update(
        key=request.key or None,
        state="invalid" if request.error else (entry.state.value if entry else "pending"),
        task_id=entry.task_id if entry else None,
        status=entry.status if entry else None,
        files=list(entry.files) if entry else [],
        error=None if error is None else describe_error(error),
        error_type=None if error is None else type(error).__name__,
    )
    if error is None and entry is not None and entry.error and entry.state != "completed":
        record.update(error=cli_wording(entry.error), error_type=entry.error_type)
    return record


class LiveGallery:
    """`OUT/index.html` of a batch, rewritten whole as items finish (at most every 2 s)."""

    _EVERY = 2.0

    def __init__(self, folder: Path, *, title: str) -> None:
        self._folder = folder
        self._title = title
        self._started = time.monotonic()
        self._written = -math.inf
        self._lock = threading.Lock()

    def write(self, found: Callable[[], Sequence[Outcome]], *, now: bool = False) -> None:
        """Rewrite the page from `found()` (the outcomes so far), unless it was just written.

        Raises:
            InvalidRequestError: the folder cannot be written.
        """
        with self._lock:
            moment = time.monotonic()
            if not now and moment - self._written < self._EVERY:
                return
            self._written = moment
            records = [outcome.record for outcome in found()]
            cards = cards_from_records(records, folder=self._folder)
            write_gallery(self._folder, cards, title=self._title, elapsed=moment - self._started)


def write_results(path: Path, found: Sequence[Outcome]) -> None:
    """The results file: one JSON line per item, in file order, written whole.

    Raises:
        OSError: it cannot be written (nothing is left half-written).
    """
    lines = "".join(json.dumps(outcome.record, ensure_ascii=False) + "\n" for outcome in found)
    # A lone surrogate (from a prompt) becomes its JSON escape, `\ud800`: still the same JSON.
    write_atomically(path, lines.encode("utf-8", "backslashreplace"))


def describe(item: Item, result: BatchResult) -> str:
    """`item 3 (line 5): task <id> COMPLETED`, or what went wrong."""
    text = f"item {item.index} (line {item.line}): "
    if result.task is None:
        text += "no task"
    else:
        text += f"task {result.task.task_id} {result.task.status}"
    if result.error is not None:
        text += f": {describe_error(result.error)}"
    if result.recorded:
        text += " (recorded by an earlier run)"
    return printable(text)


def report(
    found: Sequence[Outcome], *, results: Path, ledger: Path, resume: str, as_json: bool
) -> None:
    """Files (or one JSON document) on stdout; the summary, and what to do next, on stderr."""
    counts = {
        kind: sum(outcome.kind == kind for outcome in found)
        for kind in ("completed", "failed", "ambiguous", "invalid", "skipped")
    }
    if as_json:
        print_json(
            {
                "results": str(results),
                "ledger": str(ledger),
                **counts,
                "items": [outcome.record for outcome in found],
            }
        )
    else:
        print_files(
            [
                Path(file)
                for outcome in found
                if outcome.kind in ("completed", "skipped")
                for file in outcome.record["files"]
            ]
        )
    write = sys.stderr.write
    write(", ".join(f"{count} {kind}" for kind, count in counts.items()) + " (already done)\n")
    if counts["ambiguous"]:
        write(
            f"{counts['ambiguous']} item(s) may have made a task whose id never came back: check "
            "`nano-banana-pro list` for tasks the results do not name, then run again with "
            "--recreate-ambiguous to create them anew (billed)\n"
        )
    if counts["failed"] or counts["invalid"]:
        hint = ""
        if any(isinstance(o.result and o.result.error, TaskFailedError) for o in found):
            hint = " (add --retry-failed to create FAILED ones anew)"
        write(f"details in {results}; `{resume}` resumes the unfinished items{hint}\n")
    sys.stderr.flush()


def exit_code(found: Sequence[Outcome]) -> ExitCode:
    """OK when every item completed; else the exit code of the first failing item's error."""
    for outcome in found:
        if outcome.result is not None and outcome.result.error is not None:
            return exit_code_for(outcome.result.error)
    return ExitCode.OK
