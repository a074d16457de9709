"""`fake-server`: the fake service over HTTP on 127.0.0.1, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

import httpx

from .._config import ENV_API_KEY, ENV_BASE_URL
from ..clock import SystemClock
from ..webhooks import SECRET_ENV_VAR as ENV_WEBHOOK_SECRET
from ._failures import PROG, CliError, ExitCode

__all__ = ["run"]

#: The hosts the fake server sends webhooks to: this machine's.
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: A task turns IN_PROGRESS after this share of --task-seconds (1 s of 5, like the fake's default).
_IN_PROGRESS_SHARE = 0.2


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; the base URL is the first line on stdout, flushed at once.

    Raises:
        CliError: the port cannot be listened on.
    """
    # Imported here: only this command needs the fake.
    from ..testing import FakeMagnific, Schedule

    fake = FakeMagnific(
        api_key=None,
        clock=SystemClock(),
        webhook_sender=_post_to_this_machine,
        schedule=Schedule(
            in_progress_after=args.task_seconds * _IN_PROGRESS_SHARE,
            complete_after=args.task_seconds,
        ),
    )
    with contextlib.ExitStack() as stack:
        try:
            base_url = stack.enter_context(fake.serve(port=args.port))
        except OSError as error:
            raise CliError(
                f"cannot listen on 127.0.0.1:{args.port} ({error.strerror}); pass another "
                "--port, or --port 0 for any free one",
                exit_code=ExitCode.BAD_INPUT,
            ) from None
        stack.enter_context(_sigterm_interrupts())
        _announce(base_url, task_seconds=args.task_seconds)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    sys.stderr.write("fake server stopped\n")
    return ExitCode.OK


def _announce(base_url: str, *, task_seconds: float) -> None:
    """The base URL alone on stdout (for scripts), then how to use it on stderr."""
    from ..testing import DEFAULT_WEBHOOK_SECRET

    sys.stdout.write(f"{base_url}\n")
    sys.stdout.flush()
    sys.stderr.write(
        f"Fake Magnific API on {base_url}: any API key works, tasks complete after "
        f"{task_seconds:g}s. In another shell:\n"
        f"  export {ENV_BASE_URL}={base_url} {ENV_API_KEY}=any-key\n"
        f'  {PROG} generate "A suited raccoon" --aspect-ratio 16:9\n'
        f"Webhooks (--webhook-url) go to {' or '.join(_LOOPBACK)} only, signed with the secret "
        f"{DEFAULT_WEBHOOK_SECRET!r} (the receiver's {ENV_WEBHOOK_SECRET}).\n"
        "Ctrl-C stops it.\n"
    )
    sys.stderr.flush()


def _post_to_this_machine(url: str, headers: dict[str, str], body: bytes) -> None:
    """POST a delivery to a receiver on this machine; the fake never reaches out beyond it.

    Raises:
        ValueError: the URL's host is not this machine's (the delivery is recorded as failed).
        httpx.HTTPError: the receiver could not be reached or did not answer 2xx.
    """
    from ..testing import post_webhook

    if httpx.URL(url).host not in _LOOPBACK:
        raise ValueError(f"not sent: the fake server sends webhooks to {_LOOPBACK} only")
    post_webhook(url, headers, body)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Make SIGTERM stop the server the way Ctrl-C does (`kill PID` from a script)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
