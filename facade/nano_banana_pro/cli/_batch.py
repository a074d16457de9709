"""`batch`: one image per line of a file, a few at a time, resumable from its ledger.

The ledger (`FILE.ledger.sqlite` beside FILE, or `--ledger`) is the batch's memory: it records
each item's intent before its billed create and its task id right after, keyed by the item's
content. Running the same command again resumes: completed items are skipped, items that have a
task are waited for, and nothing is created twice, however the file's lines were inserted,
deleted, reordered or duplicated meanwhile. `--results` is a JSON-lines export of the ledger,
rewritten whole at the end of each run (and on Ctrl-C).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from .._batch import BatchResult, prepare_batch
from .._config import DEFAULT_RATE_LIMIT, DEFAULT_WAIT_TIMEOUT
from .._download import target_folder
from .._ratelimit import RateLimit
from ..ledger import TaskLedger
from ._batch_file import Item, read_items
from ._batch_report import (
    LiveGallery,
    Outcome,
    describe,
    exit_code,
    outcomes,
    report,
    write_results,
)
from ._commands import _client
from ._failures import PROG, CliError, ExitCode, describe_error
from ._listen import add_listen_options, listening, with_webhook_url
from ._numbers import COUNT, RATE, SECONDS
from ._options import add_sidecar_option
from ._progress import batch_display
from ._stopping import StoppableClock, StoppedError, stop_on_ctrl_c

__all__ = ["DEFAULT_CONCURRENCY", "LEDGER_SUFFIX", "RESULTS_SUFFIX", "add_command", "run"]

DEFAULT_CONCURRENCY = 4
RESULTS_SUFFIX = ".results.jsonl"
LEDGER_SUFFIX = ".ledger.sqlite"

_NOTES = f"""\
FILE: one prompt per line, or one JSON object per line with the parameters of generate:
  {{"prompt": "A red fox", "aspect_ratio": "16:9", "resolution": "4K",
   "reference_images": ["https://example.com/fox.png"], "webhook_url": "https://...",
   "extra_body": {{"seed": 42}}}}
  A line starting with {{ is JSON (so are [...] and "..." when they parse). Blank lines and
  lines starting with # are skipped. Invalid lines (JSON that does not parse included) are
  all reported, with their line numbers, before anything is sent; the others run.

ledger: FILE{LEDGER_SUFFIX} beside FILE (--ledger to choose) records each item by its content:
  its intent before the billed create, its task id right after. One run at a time: a second run
  on the same ledger is refused (exit 2).

resuming: run the same command again, whatever lines were added, removed, moved or copied.
  Completed items are skipped; items that have a task are waited for, never created again (a
  create is billed); a changed line is a new item. FAILED items are reported again, or created
  anew with --retry-failed. An item whose create was sent but never answered (a crash, a
  timeout) is "ambiguous": a task may exist. It is not created again unless you pass
  --recreate-ambiguous, after checking `{PROG} list`.

results: FILE{RESULTS_SUFFIX} (--results to choose), the ledger as JSON lines in file order:
  line, index, input, key, state, task_id, status, files, error, error_type.

exit codes: 0 when every item completed; otherwise the code of the first failing item in file
  order: 2 refused input, 3 API key refused, 4 rate limit/server/connection/ambiguous create,
  5 task failed, 6 wait timed out (run again to resume); 130 interrupted (run again to resume)
"""


def add_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    """The `batch` command and its options."""
    batch = command(
        "batch",
        "Generate one image per line of FILE, a few at a time; run it again to resume.",
        f"{PROG} batch prompts.txt --out out/ --concurrency 4",
        notes=_NOTES,
    )
    add = batch.add_argument
    add("file", metavar="FILE", help="prompts, one per line (or JSON lines: see below)")
    add("--out", metavar="DIR", default="out", help="folder for the images (default: out)")
    add("--ledger", metavar="FILE", help=f"the ledger (default: FILE{LEDGER_SUFFIX} beside FILE)")
    add("--results", metavar="FILE", help=f"the results (default: FILE{RESULTS_SUFFIX})")
    add(
        "--concurrency",
        type=COUNT,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"items in flight at once (default: {DEFAULT_CONCURRENCY})",
    )
    add(
        "--timeout",
        type=SECONDS,
        metavar="SECONDS",
        help=f"give up waiting for an item after this long (default: {DEFAULT_WAIT_TIMEOUT:.0f})",
    )
    add(
        "--rate",
        type=RATE,
        metavar="R",
        help="at most R API requests in any second (default: the service's limits, with a "
        f"margin: {_windows(DEFAULT_RATE_LIMIT)}); --rate-file shares it between processes",
    )
    add(
        "--retry-failed",
        action="store_true",
        help="create items whose task FAILED anew (billed) instead of reporting them again",
    )
    add(
        "--recreate-ambiguous",
        action="store_true",
        help="create anew (billed) the items whose create was never answered: check "
        f"`{PROG} list` first, a task may exist for them",
    )
    add_sidecar_option(batch)
    add_listen_options(batch)
    add("--json", action="store_true", help="print one JSON document on stdout")
    batch.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run every item of the file not already done; the exit code of the first failing item.

    Raises:
        CliError: the file cannot be read or holds no items, `--results` cannot go where asked,
            or Ctrl-C was pressed (exit code INTERRUPTED, with how to resume).
        InvalidRequestError: `--out` cannot be used (nothing was sent).
        LedgerError: the ledger is in use by another run, newer, or damaged (an item it
            cannot write is reported as failed, with its task id).
    """
    source = Path(args.file)
    items = read_items(source)
    ledger_path = Path(args.ledger or f"{source}{LEDGER_SUFFIX}")
    results = Path(args.results or f"{source}{RESULTS_SUFFIX}")
    requests = with_webhook_url([item.parameters for item in items], args.webhook_url)
    prepared = [  # a line that cannot be read is invalid for the reason it cannot
        request if item.error is None else attrs.evolve(request, error=item.error)
        for item, request in zip(items, prepare_batch(requests), strict=True)
    ]
    resume = _resume_command(args)
    out = target_folder(args.out)  # before anything is sent
    _check_results(results)
    finished: dict[int, BatchResult] = {}
    stop = threading.Event()
    gallery = LiveGallery(out, title=f"{PROG} batch {source.name}")
    try:
        with (
            listening(args),
            TaskLedger(ledger_path) as ledger,
            ledger.run(),
            stop_on_ctrl_c(stop),
            _client(args, rate_limit=_rate_limit(args), clock=StoppableClock(stop)) as client,
            batch_display(sys.stderr, total=len(items)) as show,
        ):
            for item, request in zip(items, prepared, strict=True):
                if request.error is not None:  # every invalid line, before anything is sent
                    invalid = describe_error(request.error)
                    show(f"item {item.index} (line {item.line}): invalid: {invalid}", False)

            def so_far() -> list[Outcome]:
                return outcomes(items, prepared, finished, ledger)

            gallery.write(so_far, now=True)
            try:
                client.generate_many(
                    requests,
                    concurrency=args.concurrency,
                    # Names carry the task id: only this task's own earlier download is in the way.
                    download_to=out,
                    overwrite=True,
                    wait_timeout=args.timeout,
                    ledger=ledger,
                    retry_failed=args.retry_failed,
                    recreate_ambiguous=args.recreate_ambiguous,
                    sidecar=args.sidecar,
                    on_result=_collect(items, finished, show, lambda: gallery.write(so_far)),
                )
            finally:
                found = so_far()
                try:
                    write_results(results, found)
                except OSError as error:  # an export only: the ledger holds every result
                    sys.stderr.write(
                        f"could not write {results} ({error.strerror or error}); "
                        f"{ledger_path} holds every result\n"
                    )
                gallery.write(lambda: found, now=True)
    except (KeyboardInterrupt, StoppedError):
        raise CliError(
            f"interrupted; the tasks already created go on, and {ledger_path} holds their ids: "
            f"resume with `{resume}`",
            exit_code=ExitCode.INTERRUPTED,
        ) from None
    report(found, results=results, ledger=ledger_path, resume=resume, as_json=args.json)
    return exit_code(found)


def _check_results(path: Path) -> None:
    """Before anything is sent: the results file can go where it is asked to.

    Raises:
        CliError: its folder is missing or not a folder, or the path is a folder.
    """
    try:
        usable = path.parent.is_dir() and not path.is_dir()
    except (OSError, ValueError):
        usable = False
    if not usable:
        raise CliError(
            f"--results {path}: not a file in an existing folder; choose another path",
            exit_code=ExitCode.BAD_INPUT,
        )


def _collect(
    items: list[Item],
    finished: dict[int, BatchResult],
    show: Callable[[str, bool], None],
    refresh: Callable[[], None],
) -> Callable[[BatchResult], None]:
    """`on_result`: keep each result, show it (invalid items were shown already), refresh."""

    def collect(result: BatchResult) -> None:
        unreadable = items[result.index].error
        if unreadable is not None:
            result = attrs.evolve(result, error=unreadable)
        finished[result.index] = result
        if result.key:
            show(describe(items[result.index], result), result.ok)
        refresh()

    return collect


def _rate_limit(args: argparse.Namespace) -> RateLimit:
    return DEFAULT_RATE_LIMIT if args.rate is None else RateLimit.per_second(args.rate)


def _windows(limit: RateLimit) -> str:
    return ", ".join(f"{window.requests} in any {window.seconds:g} s" for window in limit.windows)


def _resume_command(args: argparse.Namespace) -> str:
    """The same batch again, which resumes it (never with the API key)."""
    words: list[Any] = [PROG, "batch", args.file, "--out", args.out]
    for option in ("ledger", "results", "base_url", "rate_file", "webhook_url", "listen"):
        if getattr(args, option) is not None:
            words += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    return shlex.join(words)
