"""`nano-banana-pro`: the command line (`nano-banana-pro --help`).

Imported only by the console script and `python -m nano_banana_pro.cli`, never by
`import nano_banana_pro`. Progress and errors go to stderr; results (file paths, or one JSON
document with --json) to stdout. Exit codes: see `ExitCode`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence

from .._config import ENV_API_KEY, normalise_api_key
from ..webhooks import SECRET_ENV_VAR
from ._failures import PROG, ExitCode, Redactor, report_failure
from ._parser import UsageError, build_parser

__all__ = ["ExitCode", "main"]

_PACKAGE_LOGGER = "nano_banana_pro"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (the console script exits with it).

    Args:
        argv: The arguments after the program name; defaults to `sys.argv[1:]`.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    given = [os.environ.get(ENV_API_KEY), *_api_keys_in(arguments), os.environ.get(SECRET_ENV_VAR)]
    redact = Redactor(_secrets(given))
    try:
        args = build_parser().parse_args(arguments)
    except UsageError as error:
        sys.stderr.write(redact(f"{error.usage}{error.prog}: error: {error.message}\n"))
        return ExitCode.BAD_INPUT
    except SystemExit as exit_request:  # --help and --version
        return ExitCode.OK if exit_request.code in (None, 0) else ExitCode.BAD_INPUT
    with _debug_log(enabled=args.debug):
        try:
            return int(args.run(args))
        except (Exception, KeyboardInterrupt) as error:
            return report_failure(error, debug=args.debug, redact=redact)


def _secrets(keys: Sequence[str | None]) -> list[str]:
    """Every key (and the webhook secret) as the client sends it (a `.env` newline stripped).

    Masking that form masks the raw one too (it holds it, between whitespace), and leaves the
    whitespace around it: a key followed by a newline does not swallow the newline of a message.
    """
    return [normalise_api_key(key) for key in keys if key]


def _api_keys_in(arguments: Sequence[str]) -> list[str]:
    """The values given to --api-key, so that no message can echo them."""
    keys = []
    for index, argument in enumerate(arguments):
        if argument == "--api-key" and index + 1 < len(arguments):
            keys.append(arguments[index + 1])
        elif argument.startswith("--api-key="):
            keys.append(argument.partition("=")[2])
    return keys


@contextlib.contextmanager
def _debug_log(*, enabled: bool) -> Iterator[None]:
    """With --debug, the package's log (requests and retries, key redacted) on stderr."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s %(message)s"))
    logger = logging.getLogger(_PACKAGE_LOGGER)
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
