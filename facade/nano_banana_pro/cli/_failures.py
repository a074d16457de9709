"""How a command fails: exit codes, the one table mapping exceptions to them, the error line.

The library's messages name its Python API (`pass overwrite=True`, `base_url`, `list()`), right
for code and wrong at a shell. Rather than word each message twice, the CLI rewrites those names
into its flags and commands on the way out, with one table (`cli_wording`): the error line,
`--json` failure documents, batch lines and results. `tests/cli/test_cli_wording.py` feeds it
every hint the library can give and fails on a Python name left, or a flag the CLI lacks.
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable, Iterable
from enum import IntEnum

from .._redaction import redact
from ..errors import (
    AuthenticationError,
    BadRequestError,
    BudgetFileError,
    InvalidRequestError,
    LedgerError,
    NanoBananaProError,
    NotFoundError,
    OutputError,
    PermissionDeniedError,
    SidecarError,
    TaskFailedError,
    WaitTimeoutError,
)
from ._output import printable

__all__ = [
    "PROG",
    "CliError",
    "ExitCode",
    "Redactor",
    "cli_wording",
    "describe_error",
    "exit_code_for",
    "report_failure",
]

PROG = "nano-banana-pro"


class ExitCode(IntEnum):
    """What the process returns; scripts branch on these."""

    OK = 0
    #: Anything unexpected (a local OS error, a bug): rerun with --debug.
    UNEXPECTED = 1
    #: The command line or the request was refused: fix it before trying again.
    BAD_INPUT = 2
    #: The API key is missing, wrong, or may not do this (out of credits).
    AUTH = 3
    #: Rate limit, server error, connection failure, failed download: try again later.
    SERVICE = 4
    #: The task ended FAILED.
    TASK_FAILED = 5
    #: The wait's deadline passed; the task may still finish (`wait` resumes it).
    TIMEOUT = 6
    #: Ctrl-C.
    INTERRUPTED = 130


# Most specific first: the first class the error is an instance of decides. Every other error
# of the package (RateLimitError, ServerError, APIConnectionError, DownloadError...) is SERVICE.
_EXIT_CODES: tuple[tuple[type[BaseException], ExitCode], ...] = (
    (InvalidRequestError, ExitCode.BAD_INPUT),
    (OutputError, ExitCode.BAD_INPUT),  # a file in the way, an unusable --out (a DownloadError)
    (LedgerError, ExitCode.BAD_INPUT),
    (BudgetFileError, ExitCode.BAD_INPUT),  # an unusable --rate-file
    (SidecarError, ExitCode.BAD_INPUT),
    (BadRequestError, ExitCode.BAD_INPUT),
    (NotFoundError, ExitCode.BAD_INPUT),
    (AuthenticationError, ExitCode.AUTH),
    (PermissionDeniedError, ExitCode.AUTH),
    (TaskFailedError, ExitCode.TASK_FAILED),
    (WaitTimeoutError, ExitCode.TIMEOUT),
    (NanoBananaProError, ExitCode.SERVICE),
    (KeyboardInterrupt, ExitCode.INTERRUPTED),
)


class CliError(Exception):
    """A failure the CLI words itself (with what to run next), and its exit code."""

    def __init__(self, message: str, *, exit_code: ExitCode) -> None:
        self.exit_code = exit_code
        super().__init__(message)


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code for an exception that ended a command."""
    if isinstance(error, CliError):
        return error.exit_code
    for error_type, code in _EXIT_CODES:
        if isinstance(error, error_type):
            return code
    return ExitCode.UNEXPECTED


class Redactor:
    """Replaces the API key (and any other secret) in text about to be printed (see `redact`)."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self._secrets = tuple(secrets)

    def __call__(self, text: str) -> str:
        """`text` with every secret masked: a short one only where it stands as a token."""
        return redact(text, self._secrets)


def _flag(match: re.Match[str]) -> str:
    return "--" + match[1].replace("_", "-")


#: The library's Python (a regular expression) -> what a person at a shell types instead, in
#: order: the library's own "(CLI: --flag)" pointers and Python twins of a command go first.
_CLI_WORDING: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r" \(CLI: [^)]*\)", ""),
        (r"client\.wait\([^)]*\) or ", ""),
        (r"client\.list\(\), ", ""),
        (r"\b(?:client\.)?list\(\)", f"`{PROG} list`"),
        (r"\b(?:client\.)?wait\(\) for it", f"wait for it (`{PROG} wait`)"),
        (r"\b(?:client\.)?get\(\) the task again", f"download it again (`{PROG} download`)"),
        (r"\bapi_key: ", "the API key (--api-key or MAGNIFIC_API_KEY): "),
        (r"\bout_dir\b", "--out"),
        (r"\bbase_url\b", "--base-url"),
        (r"\bprompt=\.\.\.", "the prompt (the first argument)"),
        (r"RateLimit\(shared=\.\.\.\)", "--rate-file"),
        (r"\b([a-z_]+)=(?:True|\.\.\.)", _flag),  # overwrite=True, api_key=..., aspect_ratio=...
        (r"; raise timeout= if this persists", "; try again later"),
        (r", or raise max_retries", ", or try again later"),
        (r"; see invalid_params", ""),
        (r"\brequests\[\d+\](?:: |\.)", ""),  # the item's line number is beside it
    )
)


def cli_wording(text: str) -> str:
    """`text` with the library's Python names replaced by the CLI's flags and commands."""
    for pattern, replacement in _CLI_WORDING:
        text = pattern.sub(replacement, text)
    return text


def describe_error(error: BaseException) -> str:
    """An error's message in CLI words, on one line, with the parameters the service refused."""
    text = " ".join(str(error).split())
    if isinstance(error, BadRequestError) and error.invalid_params:
        text += " (" + "; ".join(f"{name}: {reason}" for name, reason in error.invalid_params) + ")"
    return printable(cli_wording(text))


def report_failure(error: BaseException, *, debug: bool, redact: Redactor) -> ExitCode:
    """Print the error as one line on stderr (after its traceback with --debug); its exit code."""
    if debug:
        sys.stderr.write(redact("".join(traceback.format_exception(error))))
    sys.stderr.write(redact(f"{PROG}: error: {printable(_describe(error))}\n"))
    sys.stderr.flush()
    return exit_code_for(error)


def _describe(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, NanoBananaProError | CliError):
        return describe_error(error) or type(error).__name__
    return f"unexpected {type(error).__name__}: {error} (rerun with --debug for the traceback)"
