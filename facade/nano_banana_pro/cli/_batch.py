"""`batch`: one image per line of a file, a few at a time, resumable from its own results file.

The results file (JSON lines) is the batch's memory. A line is appended, and flushed, as soon as
an item's task exists and again when the item finishes, so that neither a crash nor Ctrl-C loses
a task id. Running the same command again reads it back: completed items are skipped, and items
that have a task are waited for, never created again (a create is billed).

Items run through `generate_many`: its `on_created` writes the task id before the wait starts,
and an item that already has a task is passed as `{"task_id": ...}`, to be resumed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import attrs

from .._batch import BatchResult, prepare_batch
from .._config import DEFAULT_RATE_LIMIT
from .._download import target_folder
from .._ratelimit import RateLimit
from .._sync.client import NanoBananaPro
from ..clock import SystemClock
from ..errors import InvalidRequestError, NanoBananaProError, TaskFailedError
from ..task import Task, TaskStatus
from ._commands import _client
from ._failures import PROG, CliError, ExitCode, exit_code_for
from ._output import print_files, print_json
from ._progress import batch_display

__all__ = ["DEFAULT_CONCURRENCY", "RESULTS_SUFFIX", "Item", "read_items", "results_path_for", "run"]

DEFAULT_CONCURRENCY = 4
RESULTS_SUFFIX = ".results.jsonl"

#: One line of the results file: index, input, task_id, status, files, error, error_type.
Record = dict[str, Any]


@attrs.frozen(kw_only=True)
class Item:
    """One line of the batch file that asks for an image.

    Attributes:
        index: Its position among the file's items, from 0 (blank and `#` lines do not count).
        line: Its line number in the file, from 1.
        parameters: Its `create()` parameters as written (a plain line is `{"prompt": line}`).
    """

    index: int
    line: int
    parameters: Mapping[str, Any]


def run(args: argparse.Namespace) -> int:
    """Run every item of the file not already done; the exit code of the first failing item.

    Raises:
        CliError: the file cannot be read or holds no items, the results cannot be written,
            or Ctrl-C was pressed (exit code INTERRUPTED, with how to resume).
        InvalidRequestError: `--out` is not a folder.
    """
    source = Path(args.file)
    items = read_items(source)
    results = results_path_for(source) if args.results is None else Path(args.results)
    last = _last_records(_read_history(results), items)
    requests = prepare_batch([item.parameters for item in items])
    plans = [
        _plan(item, invalid=request.error, last=last.get(item.index), retry=args.retry_failed)
        for item, request in zip(items, requests, strict=True)
    ]
    resume = _resume_command(args)
    stop = threading.Event()
    try:
        with (
            _stop_on_ctrl_c(stop),
            _client(args, rate_limit=_rate_limit(args), clock=_StoppableClock(stop)) as client,
            _open_results(results) as log,
        ):
            finished = _execute(
                plans,
                client=client,
                log=log,
                out=target_folder(args.out),
                timeout=args.timeout,
                concurrency=args.concurrency,
            )
    except (KeyboardInterrupt, _StoppedError):
        raise CliError(
            f"interrupted; the tasks already created go on, and their ids are in {results}: "
            f"resume with `{resume}`",
            exit_code=ExitCode.INTERRUPTED,
        ) from None
    _report(finished, results=results, resume=resume, as_json=args.json)
    return _exit_code(finished)


def read_items(path: Path) -> list[Item]:
    """The file's items: one prompt per line, or one JSON object of parameters per line.

    Blank lines and lines starting with `#` are skipped; a line starting with `{` is JSON.

    Raises:
        CliError: the file cannot be read, a JSON line does not parse, or there is no item.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise CliError(
            f"cannot read {path} ({reason}): pass a text file with one prompt per line",
            exit_code=ExitCode.BAD_INPUT,
        ) from None
    items: list[Item] = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if line and not line.startswith("#"):
            parameters = _parameters(line, where=f"{path}, line {number}")
            items.append(Item(index=len(items), line=number, parameters=parameters))
    if not items:
        raise CliError(
            f"{path} holds no prompts: write one prompt per line, or one JSON object per line "
            '(`{"prompt": "...", "aspect_ratio": "16:9"}`)',
            exit_code=ExitCode.BAD_INPUT,
        )
    return items


def results_path_for(source: Path) -> Path:
    """Where the results of `source` go by default: `<source>.results.jsonl`, next to it."""
    return source.with_name(source.name + RESULTS_SUFFIX)


def _parameters(line: str, *, where: str) -> Mapping[str, Any]:
    """A line's parameters; what they hold is checked later, per item.

    Raises:
        CliError: a JSON line does not parse (nothing is sent for any item).
    """
    if not line.startswith("{"):
        return {"prompt": line}
    try:
        parameters: dict[str, Any] = json.loads(line)
    except json.JSONDecodeError as error:
        raise CliError(
            f"{where}: not valid JSON ({error.msg}, column {error.colno}); fix it and run again "
            "(nothing was sent)",
            exit_code=ExitCode.BAD_INPUT,
        ) from None
    return parameters


def _read_history(path: Path) -> list[Record]:
    """The records of earlier runs, oldest first; none when the file does not exist yet.

    Raises:
        CliError: the file exists but cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(
            f"cannot read the results in {path} ({error}): pass another --results file",
            exit_code=ExitCode.BAD_INPUT,
        ) from None
    records = []
    for line in text.splitlines():
        # A line cut short by a crash is skipped: the lines before it still stand.
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and isinstance(record.get("index"), int):
                records.append(record)
    return records


def _last_records(history: Sequence[Record], items: Sequence[Item]) -> dict[int, Record]:
    """Per item index, the last record of the same index and the same input."""
    by_index = {item.index: item for item in items}
    last = {}
    for record in history:
        item = by_index.get(record["index"])
        if item is not None and record.get("input") == item.parameters:
            last[item.index] = record
    return last


@attrs.frozen(kw_only=True)
class _Job:
    """An item to run: create its task, or resume the one it has."""

    item: Item
    task_id: str | None = None
    status: str | None = None

    @property
    def request(self) -> Mapping[str, Any]:
        """The item for `generate_many`: its task to resume, or its parameters to create one."""
        return self.item.parameters if self.task_id is None else {"task_id": self.task_id}


@attrs.frozen(kw_only=True)
class _Finished:
    """What became of an item, in this run or an earlier one.

    Attributes:
        record: The item's last record.
        error: Why it did not complete (None when it did).
        skipped: Completed by an earlier run, its files still there.
        earlier: Failed in an earlier run and only reported again (no new record).
    """

    item: Item
    record: Record
    error: NanoBananaProError | None = None
    skipped: bool = False
    earlier: bool = False


def _plan(
    item: Item, *, invalid: InvalidRequestError | None, last: Record | None, retry: bool
) -> _Job | _Finished:
    """What to do with an item, given its own validation and its last record."""
    if invalid is not None:
        said_so = last is not None and last.get("error_type") == type(invalid).__name__
        record = last if last is not None and said_so else _record(item, error=invalid)
        return _Finished(item=item, record=record, error=invalid, earlier=said_so)
    if last is None:
        return _Job(item=item)
    task_id, status = last.get("task_id"), last.get("status")
    if _is_done(last):
        return _Finished(item=item, record=last, skipped=True)
    if task_id and status == TaskStatus.FAILED and not retry:
        failed = TaskFailedError(Task(task_id=task_id, status=TaskStatus.FAILED))
        return _Finished(item=item, record=last, error=failed, earlier=True)
    if task_id and status != TaskStatus.FAILED:
        return _Job(item=item, task_id=task_id, status=status)
    return _Job(item=item)


def _is_done(record: Record) -> bool:
    return (
        record.get("status") == TaskStatus.COMPLETED
        and record.get("error") is None
        and all(Path(file).is_file() for file in record.get("files") or ())
    )


def _record(
    item: Item,
    *,
    task_id: str | None = None,
    status: str | None = None,
    files: Sequence[Path] = (),
    error: BaseException | None = None,
) -> Record:
    return {
        "index": item.index,
        "input": item.parameters,
        "task_id": task_id,
        "status": status,
        "files": [str(path) for path in files],
        "error": None if error is None else " ".join(str(error).split()),
        "error_type": None if error is None else type(error).__name__,
    }


class _ResultsLog:
    """The results file, appended to from any thread; every line is flushed at once."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self._lock = threading.Lock()

    def write(self, record: Record) -> None:
        """Append one record."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()


@contextlib.contextmanager
def _open_results(path: Path) -> Iterator[_ResultsLog]:
    """The results file, opened for appending.

    Raises:
        CliError: it cannot be written.
    """
    try:
        file = path.open("a+", encoding="utf-8")
    except OSError as error:
        raise CliError(
            f"cannot write the results to {path} ({error.strerror}): pass another --results file",
            exit_code=ExitCode.BAD_INPUT,
        ) from None
    with file:
        if file.tell() > 0:
            file.seek(file.tell() - 1)
            if file.read(1) != "\n":  # a line cut short by a crash: start a fresh one
                file.write("\n")
        yield _ResultsLog(file)


class _StoppedError(Exception):
    """The batch was stopped (Ctrl-C) while an item was pausing."""


@contextlib.contextmanager
def _stop_on_ctrl_c(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C sets `stop` as it interrupts, so that running items end at their next pause.

    `generate_many` lets its running items finish before Ctrl-C propagates: without the stop,
    it would wait for them. Signal handlers can be set from the main thread only.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        stop.set()
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _StoppableClock(SystemClock):
    """The real clock, except that a sleep ends with `_StoppedError` once the batch is stopped.

    Every pause of the client (between polls, before a retry, under the rate limit) goes
    through the clock, so items stop at their next pause, and record their task first.
    """

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def sleep(self, seconds: float) -> None:
        """Block for `seconds`, or until the batch is stopped.

        Raises:
            _StoppedError: the batch was stopped.
        """
        if self._stop.wait(max(0.0, seconds)):
            raise _StoppedError


class _Batch:
    """The jobs' callbacks for `generate_many`: a record when a task is created, one at the end."""

    def __init__(
        self, jobs: Sequence[_Job], *, log: _ResultsLog, show: Callable[[str, bool], None]
    ) -> None:
        self._jobs = jobs
        self._log = log
        self._show = show
        self._lock = threading.Lock()
        self._tasks = {index: (job.task_id, job.status) for index, job in enumerate(jobs)}
        self.outcomes: dict[int, _Finished] = {}

    def created(self, index: int, task: Task) -> None:
        """Record a new task before its wait starts."""
        with self._lock:
            self._tasks[index] = (task.task_id, str(task.status))
        self._log.write(
            _record(self._jobs[index].item, task_id=task.task_id, status=str(task.status))
        )

    def finished(self, result: BatchResult) -> None:
        """Record and show what became of a job."""
        item = self._jobs[result.index].item
        with self._lock:
            task_id, status = self._tasks[result.index]
            record = _record(
                item,
                task_id=result.task_id or task_id,
                status=status if result.task is None else str(result.task.status),
                files=result.files,
                error=result.error,
            )
            self._log.write(record)
            outcome = _Finished(item=item, record=record, error=result.error)
            self.outcomes[item.index] = outcome
            self._show(_describe(outcome), outcome.error is None)

    def record_interrupted(self) -> None:
        """Record every unfinished job that has a task, so that the next run resumes it."""
        interrupted = KeyboardInterrupt("interrupted")
        with self._lock:
            for index, (task_id, status) in self._tasks.items():
                item = self._jobs[index].item
                if task_id is not None and item.index not in self.outcomes:
                    self._log.write(
                        _record(item, task_id=task_id, status=status, error=interrupted)
                    )


def _execute(
    plans: Sequence[_Job | _Finished],
    *,
    client: NanoBananaPro,
    log: _ResultsLog,
    out: Path,
    timeout: float | None,
    concurrency: int,
) -> list[_Finished]:
    """Report what is already known, run the jobs; every item's outcome, in input order.

    Raises:
        KeyboardInterrupt: Ctrl-C (the unfinished tasks are recorded as interrupted).
        _StoppedError: likewise, seen by an item first.
    """
    outcomes = {plan.item.index: plan for plan in plans if isinstance(plan, _Finished)}
    jobs = [plan for plan in plans if isinstance(plan, _Job)]
    reported = [outcome for outcome in outcomes.values() if not outcome.skipped]
    with batch_display(sys.stderr, total=len(jobs) + len(reported)) as show:
        for outcome in reported:
            if not outcome.earlier:
                log.write(outcome.record)
            show(_describe(outcome), outcome.error is None)
        batch = _Batch(jobs, log=log, show=show)
        try:
            client.generate_many(
                [job.request for job in jobs],
                concurrency=concurrency,
                # Names carry the task id: only this task's own earlier download can be in the way.
                download_to=out,
                overwrite=True,
                timeout=timeout,
                on_created=batch.created,
                on_result=batch.finished,
            )
        except (KeyboardInterrupt, _StoppedError):
            batch.record_interrupted()
            raise
    outcomes.update(batch.outcomes)
    return [outcomes[index] for index in sorted(outcomes)]


def _describe(outcome: _Finished) -> str:
    """`item 3 (line 5): task <id> COMPLETED`, or what went wrong."""
    record = outcome.record
    task_id = record.get("task_id")
    text = f"item {outcome.item.index} (line {outcome.item.line}): "
    text += "no task" if task_id is None else f"task {task_id} {record.get('status')}"
    if outcome.error is not None:
        text += f": {record.get('error')}"
    if outcome.earlier:
        text += " (recorded by an earlier run)"
    return text


def _report(finished: Sequence[_Finished], *, results: Path, resume: str, as_json: bool) -> None:
    """Files (or one JSON document) on stdout; the summary, and what to do next, on stderr."""
    skipped = sum(outcome.skipped for outcome in finished)
    failed = sum(outcome.error is not None for outcome in finished)
    completed = len(finished) - skipped - failed
    if as_json:
        print_json(
            {
                "results": str(results),
                "completed": completed,
                "failed": failed,
                "skipped": skipped,
                "items": [outcome.record for outcome in finished],
            }
        )
    else:
        print_files(
            [
                Path(file)
                for outcome in finished
                if outcome.error is None
                for file in outcome.record.get("files") or ()
            ]
        )
    sys.stderr.write(f"{completed} completed, {failed} failed, {skipped} skipped (already done)\n")
    if failed:
        sys.stderr.write(
            f"details in {results}; `{resume}` resumes the unfinished items "
            "(add --retry-failed to create FAILED ones anew)\n"
        )
    sys.stderr.flush()


def _exit_code(finished: Sequence[_Finished]) -> ExitCode:
    """OK when every item completed; else the exit code of the first failing item's error."""
    for outcome in finished:
        if outcome.error is not None:
            return exit_code_for(outcome.error)
    return ExitCode.OK


def _rate_limit(args: argparse.Namespace) -> RateLimit:
    if args.rate is None:
        return DEFAULT_RATE_LIMIT
    return attrs.evolve(DEFAULT_RATE_LIMIT, requests_per_second=args.rate)


def _resume_command(args: argparse.Namespace) -> str:
    """The same batch again, which resumes it (never with the API key)."""
    words = [PROG, "batch", args.file, "--out", args.out]
    if args.results is not None:
        words += ["--results", args.results]
    if args.base_url is not None:
        words += ["--base-url", args.base_url]
    return shlex.join(words)
