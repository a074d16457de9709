"""The command line: every command, its options, and a worked example in each `--help`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

from .._config import DEFAULT_WAIT_TIMEOUT, ENV_API_KEY, ENV_BASE_URL
from .._version import __version__
from . import _batch, _commands, _fake_server, _gallery
from ._failures import PROG
from ._numbers import PORT, SECONDS, SECONDS_OR_ZERO
from ._options import add_create_options, add_sidecar_option

__all__ = ["DEFAULT_FAKE_PORT", "UsageError", "build_parser"]

DEFAULT_OUT_DIR = "out"
DEFAULT_FAKE_PORT = 8787
DEFAULT_TASK_SECONDS = 5.0


class UsageError(Exception):
    """The command line was refused; carries the usage of the (sub)command at fault."""

    def __init__(self, *, usage: str, prog: str, message: str) -> None:
        self.usage = usage
        self.prog = prog
        self.message = message
        super().__init__(message)


class _Parser(argparse.ArgumentParser):
    """Raises `UsageError` instead of printing and exiting, so `main` can redact and return.

    Abbreviated options are refused (`allow_abbrev=False` everywhere), so that `--api-key` is
    the only spelling of the key `main` has to redact.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(usage=self.format_usage(), prog=self.prog, message=message)


def build_parser() -> argparse.ArgumentParser:
    """The `nano-banana-pro` parser; each command sets `run(args) -> exit code`."""
    parser = _Parser(
        prog=PROG,
        allow_abbrev=False,
        description="Generate images with Magnific Nano Banana Pro from the command line.",
        epilog=_TOP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_global_options(top_level=True)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    client_options = [_global_options(top_level=False)]

    def command(
        name: str, summary: str, example: str, *, uses_api: bool = True, notes: str = ""
    ) -> _Parser:
        sub: _Parser = commands.add_parser(
            name,
            allow_abbrev=False,
            help=summary,
            description=summary,
            epilog=f"example:\n  {example}" + (f"\n\n{notes}" if notes else ""),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=client_options if uses_api else [_debug_option(top_level=False)],
        )
        return sub

    _add_generate(command)
    status = command("status", "Show a task's status and image URLs.", f"{PROG} status TASK_ID")
    status.add_argument("task_id", metavar="TASK_ID")
    _add_json(status)
    status.set_defaults(run=_commands.status)
    _add_wait(command)
    tasks = command("list", "List the key's tasks and their statuses.", f"{PROG} list --json")
    _add_json(tasks)
    tasks.set_defaults(run=_commands.list_tasks)
    _add_download(command)
    _batch.add_command(command)
    _gallery.add_command(command)
    _add_fake_server(command)
    return parser


_TOP_EPILOG = f"""\
configuration:
  {ENV_API_KEY}   the API key (or --api-key; the variable keeps it out of your shell history)
  {ENV_BASE_URL}  the API's URL (or --base-url; default https://api.magnific.com)

example:
  {PROG} generate "A suited raccoon smoking a pipe" --aspect-ratio 16:9 --out out/

exit codes: 0 ok, 1 unexpected, 2 bad input, 3 API key refused, 4 rate limit/server/connection,
  5 task failed, 6 wait timed out (resume with `{PROG} wait TASK_ID`), 130 interrupted
"""


def _global_options(*, top_level: bool) -> _Parser:
    """--api-key, --base-url, --rate-file, --debug: accepted before and after the command.

    After the command, an option left out must not overwrite one given before it: there the
    defaults are SUPPRESS (argparse copies a subcommand's defaults over the top level's).
    """
    options = _debug_option(top_level=top_level)
    default = None if top_level else argparse.SUPPRESS
    options.add_argument(
        "--api-key", default=default, help=f"the API key (default: ${ENV_API_KEY})"
    )
    options.add_argument(
        "--base-url", default=default, help=f"the API's URL (default: ${ENV_BASE_URL})"
    )
    options.add_argument(
        "--rate-file",
        metavar="PATH",
        default=default,
        help="share the API request budget with the other processes given this file (one "
        "host, one IP: several scripts or batches)",
    )
    # Advanced, undocumented: a fixed poll interval, for local runs against the fake server.
    options.add_argument("--poll-interval", type=SECONDS, default=default, help=argparse.SUPPRESS)
    return options


def _debug_option(*, top_level: bool) -> _Parser:
    options = _Parser(add_help=False, allow_abbrev=False)
    options.add_argument(
        "--debug",
        action="store_true",
        default=False if top_level else argparse.SUPPRESS,
        help="log requests (API key redacted) and show tracebacks",
    )
    return options


CommandFactory = Callable[..., _Parser]


def _add_generate(command: CommandFactory) -> None:
    generate = command(
        "generate",
        "Create a task, wait for it with live progress, download its images.",
        f'{PROG} generate "A suited raccoon smoking a pipe in a vintage study room" '
        "--aspect-ratio 16:9 --resolution 2K --out out/",
    )
    generate.add_argument("prompt", metavar="PROMPT", help="what to draw (2 to 3000 characters)")
    add_create_options(generate)
    generate.add_argument(
        "--no-wait", action="store_true", help="print the task id and return without waiting"
    )
    _add_wait_options(generate, out_help=f"folder for the images (default: {DEFAULT_OUT_DIR})")
    add_sidecar_option(generate)
    generate.set_defaults(run=_commands.generate, out=DEFAULT_OUT_DIR)


def _add_wait(command: CommandFactory) -> None:
    wait = command(
        "wait",
        "Wait for a task to finish (resumes a wait cut short); with --out, download its images.",
        f"{PROG} wait TASK_ID --out out/",
    )
    wait.add_argument("task_id", metavar="TASK_ID")
    _add_wait_options(wait, out_help="also download the images into this folder")
    add_sidecar_option(wait)
    wait.add_argument("--overwrite", action="store_true", help="replace files already there")
    wait.set_defaults(run=_commands.wait, out=None)


def _add_wait_options(parser: _Parser, *, out_help: str) -> None:
    parser.add_argument("--out", metavar="DIR", help=out_help)
    parser.add_argument(
        "--timeout",
        type=SECONDS,
        metavar="SECONDS",
        help=f"give up waiting after this long (default: {DEFAULT_WAIT_TIMEOUT:.0f})",
    )
    _add_json(parser)


def _add_download(command: CommandFactory) -> None:
    download = command(
        "download",
        "Download a COMPLETED task's images (named <task_id>_<index>.<ext>).",
        f"{PROG} download TASK_ID --out out/",
    )
    download.add_argument("task_id", metavar="TASK_ID")
    download.add_argument(
        "--out", metavar="DIR", default=DEFAULT_OUT_DIR, help=f"default: {DEFAULT_OUT_DIR}"
    )
    download.add_argument("--overwrite", action="store_true", help="replace files already there")
    add_sidecar_option(download)
    _add_json(download)
    download.set_defaults(run=_commands.download)


def _add_fake_server(command: CommandFactory) -> None:
    fake = command(
        "fake-server",
        "Serve a fake of the API on 127.0.0.1 for offline use (any API key works).",
        f"{PROG} fake-server --port 0 --task-seconds 2",
        uses_api=False,
    )
    fake.add_argument(
        "--port",
        type=PORT,
        default=DEFAULT_FAKE_PORT,
        help=f"0 picks a free port (default: {DEFAULT_FAKE_PORT})",
    )
    fake.add_argument(
        "--task-seconds",
        type=SECONDS_OR_ZERO,
        default=DEFAULT_TASK_SECONDS,
        metavar="SECONDS",
        help=f"how long a task takes to complete (default: {DEFAULT_TASK_SECONDS:g})",
    )
    fake.set_defaults(run=_fake_server.run)


def _add_json(parser: _Parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
