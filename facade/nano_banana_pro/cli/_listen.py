"""`batch --webhook-url URL --listen HOST:PORT`: the batch receives its own webhooks.

The receiver (`WebhookReceiver`, secret from `MAGNIFIC_WEBHOOK_SECRET`) runs as a WSGI app on
the standard library's `wsgiref` server, a thread per request, in a daemon thread, for the
duration of the run. Its deliveries complete the batch's waits; polling goes on as the backstop
for the deliveries that never come.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socketserver
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ..webhooks import SECRET_ENV_VAR
from ._failures import CliError, ExitCode
from ._numbers import PORT

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["Address", "add_listen_options", "listening", "serve_wsgi", "with_webhook_url"]

logger = logging.getLogger("nano_banana_pro")

_WEBHOOK_URL = "webhook_url"
_RESUMED = "task_id"
_SHUTDOWN_POLL_SECONDS = 0.05  # how soon the server notices it must stop (stdlib: 0.5)


def add_listen_options(parser: argparse.ArgumentParser) -> None:
    """`--webhook-url URL` and `--listen HOST:PORT`."""
    parser.add_argument(
        "--webhook-url",
        metavar="URL",
        help="create each item with this webhook_url (unless its line sets one): the service "
        "POSTs each status change there. Not part of an item's identity: resuming with "
        "another URL creates nothing again",
    )
    parser.add_argument(
        "--listen",
        type=_address,
        metavar="HOST:PORT",
        help="receive the webhooks on HOST:PORT during the run (with --webhook-url reaching "
        f"it, and the secret in ${SECRET_ENV_VAR}): waits end on delivery, polls catch "
        "the ones lost",
    )


def with_webhook_url(
    requests: Sequence[Mapping[str, Any]], url: str | None
) -> list[Mapping[str, Any]]:
    """`requests` with `url` as the `webhook_url` of each item to create that sets none."""
    return [
        {**request, _WEBHOOK_URL: url}
        if url is not None and _WEBHOOK_URL not in request and _RESUMED not in request
        else request
        for request in requests
    ]


@contextlib.contextmanager
def listening(args: argparse.Namespace) -> Iterator[None]:
    """With `--listen`, the webhook receiver serves there for the duration of the block.

    Raises:
        CliError: `--listen` without `--webhook-url` or without a secret, or the address
            cannot be listened on (exit code BAD_INPUT; checked before anything is sent).
    """
    if args.listen is None:
        yield
        return
    if args.webhook_url is None:
        raise CliError(
            "--listen needs --webhook-url: the URL the service can reach this address at "
            "(e.g. --webhook-url https://hooks.example.com/ --listen 0.0.0.0:8000)",
            exit_code=ExitCode.BAD_INPUT,
        )
    if not os.environ.get(SECRET_ENV_VAR):
        raise CliError(
            f"--listen needs the webhook secret: set {SECRET_ENV_VAR} to the secret the "
            "service signs its webhooks with",
            exit_code=ExitCode.BAD_INPUT,
        )
    from ..receiver import WebhookReceiver  # here: only a batch with --listen needs it

    host, port = args.listen
    receiver = WebhookReceiver()
    with contextlib.ExitStack() as stack:
        try:  # only the listening socket's failure: the batch's own errors pass through
            bound_host, bound_port = stack.enter_context(
                serve_wsgi(receiver.wsgi, host=host, port=port)
            )
        except OSError as error:
            raise CliError(
                f"cannot listen on {host}:{port} ({error.strerror or error}): pass another "
                "--listen",
                exit_code=ExitCode.BAD_INPUT,
            ) from None
        sys.stderr.write(f"receiving webhooks on http://{bound_host}:{bound_port}/\n")
        yield


@contextlib.contextmanager
def serve_wsgi(app: WSGIApplication, *, host: str, port: int) -> Iterator[tuple[str, int]]:
    """Serve `app` on `host:port` (0: any free port) in a daemon thread; yield the bound address.

    The server is stopped, and its socket closed, on exit.

    Raises:
        OSError: the address cannot be listened on (in use, not this machine's).
    """
    server = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS},
        name="nano-banana-pro-webhooks",
        daemon=True,
    )
    thread.start()
    try:
        yield host, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """`wsgiref`'s server, one daemon thread per request."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A sender that hung up mid-request: logged at debug, not printed."""
        logger.debug("webhook connection from %s failed", client_address, exc_info=True)


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to the package's debug log (`--debug`), not straight to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        """Log one request line at debug."""
        logger.debug("webhook receiver: " + format, *args)


class Address(NamedTuple):
    """Where `--listen` serves; `str()` gives it back as `HOST:PORT`."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _address(value: str) -> Address:
    """`HOST:PORT` as an `Address` (an argparse `type`)."""
    host, colon, port = value.rpartition(":")
    if not colon or not host:
        raise argparse.ArgumentTypeError(
            f"expected HOST:PORT such as 127.0.0.1:8000, got {value!r}"
        )
    return Address(host, int(PORT(port)))
