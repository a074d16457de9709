"""A real HTTP server on 127.0.0.1 that answers with the fake (for local development).

HTTP/1.1 with keep-alive; request bodies must carry Content-Length (httpx sends it for JSON
and bytes bodies).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..clock import Clock
from ._http import FakeRequest, Outcome

__all__ = ["serve"]

Handler = Callable[[FakeRequest], Outcome]
_SHUTDOWN_POLL_SECONDS = 0.01  # how soon the server notices it must stop (stdlib: 0.5)


class _Server(ThreadingHTTPServer):
    """Keeps track of open connections, so that stopping also closes the kept-alive ones."""

    daemon_threads = True
    #: Room for a burst of connections (a batch opens ~100 at once); http.server's default is 5.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: Handler, clock: Clock) -> None:
        super().__init__(address, _RequestHandler)
        self.fake_handler = handler
        self.clock = clock
        self.base_url = f"http://{address[0]}:{self.server_address[1]}"
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hung up (after a timeout, say); report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Shut down every connection still open (idle keep-alive ones included)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real service
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        request = FakeRequest(
            method=self.command,
            raw_path=self.path.partition("?")[0],
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length),
            origin=self.server.base_url,
        )
        outcome = self.server.fake_handler(request)
        self.server.clock.sleep(outcome.delay)
        if outcome.reply is None:
            self.close_connection = True  # the socket closes with no answer written
            return
        self.send_response(outcome.reply.status)
        for name, value in outcome.reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has headers only
            self.wfile.write(outcome.reply.body)

    def __getattr__(self, name: str) -> Any:
        # http.server dispatches on `do_<METHOD>`: every method goes to the router, which
        # answers the undeclared ones (OPTIONS, TRACE...) with a JSON 405 and `Allow`.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read `FakeMagnific.requests` instead."""


@contextlib.contextmanager
def serve(handler: Handler, clock: Clock, *, port: int = 0) -> Iterator[str]:
    """Serve the fake on 127.0.0.1 in a daemon thread; yield its base URL; stop on exit.

    Args:
        handler: The fake's request handler.
        clock: The clock delays sleep on.
        port: The port; 0 lets the system choose a free one.
    """
    server = _Server(("127.0.0.1", port), handler, clock)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS},
        name="fake-magnific",
        daemon=True,
    )
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
