"""The commands that talk to the API: generate, status, wait, list, download."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs

from .._config import DEFAULT_RATE_LIMIT, ENV_API_KEY, given_api_key, normalise_api_key
from .._download import target_folder
from .._polling import PollSchedule
from .._ratelimit import RateLimit
from .._sync.client import NanoBananaPro
from ..clock import Clock
from ..errors import (
    InvalidRequestError,
    NanoBananaProError,
    NotFoundError,
    OutputError,
    TaskFailedError,
    WaitTimeoutError,
)
from ..task import Task, TaskStatus
from ._failures import PROG, CliError, ExitCode, describe_error, exit_code_for
from ._options import create_options
from ._output import print_files, print_json, print_tasks, printable, task_json
from ._progress import status_display

__all__ = ["download", "generate", "list_tasks", "status", "wait"]


def generate(args: argparse.Namespace) -> int:
    """Create a task; unless --no-wait, wait for it and download its images."""
    with _client(args) as client:
        out = None if args.no_wait else target_folder(args.out)  # before the billed create
        task = _created(client, args)
        with _resumable(args, task.task_id, as_json=args.json):
            _notice(f"task {task.task_id} created")
            if out is None:
                _print_result(task, files=[], as_json=args.json)
                return ExitCode.OK
            finished = _wait(client, task, timeout=args.timeout)
            files = client.download(finished, out, sidecar=args.sidecar)
    _print_result(finished, files=files, as_json=args.json)
    return ExitCode.OK


def status(args: argparse.Namespace) -> int:
    """Print a task's status and image URLs."""
    with _client(args) as client:
        task = client.get(args.task_id)
    _print_task(task, as_json=args.json)
    return ExitCode.OK


def wait(args: argparse.Namespace) -> int:
    """Wait for a task to finish; with --out, download its images."""
    with _client(args) as client, _resumable(args, args.task_id, as_json=args.json):
        _notice(f"waiting for task {args.task_id}")
        finished = _wait(client, args.task_id, timeout=args.timeout)
        files = (
            None
            if args.out is None
            else client.download(finished, args.out, overwrite=args.overwrite, sidecar=args.sidecar)
        )
    if files is None:
        _print_task(finished, as_json=args.json)
    else:
        _print_result(finished, files=files, as_json=args.json)
    return ExitCode.OK


def list_tasks(args: argparse.Namespace) -> int:
    """Print the key's tasks and their statuses."""
    with _client(args) as client:
        tasks = client.list()
    if args.json:  # the list reports no images (`status` does): no `"generated": []` for them
        print_json([task_json(task, images=False) for task in tasks])
    elif tasks:
        print_tasks(tasks)
    else:
        _notice("no tasks")
    return ExitCode.OK


def download(args: argparse.Namespace) -> int:
    """Download a COMPLETED task's images.

    Raises:
        TaskFailedError: the task FAILED: there is nothing to download.
        CliError: the task has not finished yet.
    """
    with _client(args) as client:
        task = client.get(args.task_id)
        if task.has_ended_without_images:
            raise TaskFailedError(task)
        if not task.is_completed:
            raise CliError(
                f"task {task.task_id} is {task.status}, not COMPLETED yet: run "
                f"`{_resume_command(args, task.task_id)}` to wait for it and download",
                exit_code=ExitCode.BAD_INPUT,
            )
        files = client.download(task, args.out, overwrite=args.overwrite, sidecar=args.sidecar)
    _print_result(task, files=files, as_json=args.json)
    return ExitCode.OK


def _created(client: NanoBananaPro, args: argparse.Namespace) -> Task:
    """The new task, also when the service's answer was off the spec but named it (billed).

    Raises:
        NanoBananaProError: the create failed, and no task id came back.
    """
    try:
        return client.create(args.prompt, extra_body=args.extra_body, **create_options(args))
    except NanoBananaProError as error:
        if error.task_id is None:
            raise
        _notice(f"the answer was off the spec ({describe_error(error)}): its task goes on")
        return Task(task_id=error.task_id, status=TaskStatus.CREATED)


@contextlib.contextmanager
def _client(
    args: argparse.Namespace,
    *,
    rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
    clock: Clock | None = None,
) -> Iterator[NanoBananaPro]:
    """The client, configured from the options and the environment.

    Raises:
        CliError: no API key anywhere, or one that cannot be sent (exit code AUTH).
        InvalidRequestError: another option (`--base-url`) was refused.
    """
    poll_schedule = None if args.poll_interval is None else PollSchedule.fixed(args.poll_interval)
    if rate_limit is not None and args.rate_file is not None:
        rate_limit = attrs.evolve(rate_limit, shared=args.rate_file)
    try:
        client = NanoBananaPro(
            api_key=args.api_key,
            base_url=args.base_url,
            poll_schedule=poll_schedule,
            rate_limit=rate_limit,
            clock=clock,
        )
    except InvalidRequestError as error:
        if error.field != "api_key":
            raise
        if normalise_api_key(given_api_key(args.api_key) or ""):
            raise CliError(str(error), exit_code=ExitCode.AUTH) from None  # given, but unusable
        raise CliError(
            f"no API key: set {ENV_API_KEY} (or pass --api-key). To try the CLI offline, run "
            f"`{PROG} fake-server` and follow its hint.",
            exit_code=ExitCode.AUTH,
        ) from None
    with client:
        yield client


def _wait(client: NanoBananaPro, task: Task | str, *, timeout: float | None) -> Task:
    with status_display(sys.stderr) as show:
        return client.wait(task, wait_timeout=timeout, on_update=show)


@contextlib.contextmanager
def _resumable(args: argparse.Namespace, task_id: str, *, as_json: bool) -> Iterator[None]:
    """Say which task it was and how to resume, whatever stops a command once its task exists.

    With --json, the same is printed on stdout as one document (`task_id`, `error`,
    `error_type`, `resume`), so that a script never loses a billed task's id.

    Raises:
        CliError: the wait timed out, polling or downloading failed, or Ctrl-C was pressed.
        TaskFailedError: the task FAILED (resuming would not help; its id is in the message).
    """
    try:
        yield
    except TaskFailedError as error:
        _print_failure(task_id, error, message=describe_error(error), resume=None, as_json=as_json)
        raise
    except (NanoBananaProError, KeyboardInterrupt) as error:
        resume: str | None = _resume_command(args, task_id)
        if isinstance(error, WaitTimeoutError):
            message = (
                f"task {task_id} not finished after {error.elapsed:.1f}s (last status: "
                f"{error.last_status}); it may still finish: resume with `{resume}`"
            )
        elif isinstance(error, KeyboardInterrupt):
            message = f"interrupted; task {task_id} goes on: resume with `{resume}`"
        elif isinstance(error, NotFoundError):  # nothing to resume
            message, resume = describe_error(error), None
        elif isinstance(error, OutputError):  # the task COMPLETED; the folder is in the way
            resume = _resume_command(args, task_id, command="download")
            message = (
                f"{describe_error(error)}; task {task_id} completed: once that is fixed, save "
                f"its images with `{resume}`"
            )
        else:
            message = f"{describe_error(error)}; task {task_id} exists: resume with `{resume}`"
        _print_failure(task_id, error, message=message, resume=resume, as_json=as_json)
        raise CliError(message, exit_code=exit_code_for(error)) from error


def _print_failure(
    task_id: str, error: BaseException, *, message: str, resume: str | None, as_json: bool
) -> None:
    if as_json:
        print_json(
            {
                "task_id": task_id,
                "error": message,
                "error_type": type(error).__name__,
                "resume": resume,
            }
        )


def _resume_command(args: argparse.Namespace, task_id: str, *, command: str = "wait") -> str:
    """The `wait` (or `download`) command that picks up where this one stopped (no API key)."""
    words = [PROG, command, task_id]
    if args.out is not None:
        words += ["--out", args.out]
    if args.base_url is not None:
        words += ["--base-url", args.base_url]
    return shlex.join(words)


def _print_task(task: Task, *, as_json: bool) -> None:
    if as_json:
        print_json(task_json(task))
    else:
        print_tasks([task])


def _print_result(task: Task, *, files: list[Path], as_json: bool) -> None:
    if as_json:
        print_json(task_json(task, files=files))
    elif files:
        print_files(files)
    else:
        sys.stdout.write(f"{printable(task.task_id)}\n")


def _notice(message: str) -> None:
    sys.stderr.write(f"{printable(message)}\n")
    sys.stderr.flush()
