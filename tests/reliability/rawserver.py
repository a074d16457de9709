"""A scripted HTTP/1.1 server on raw sockets, for the faults the fake cannot express.

Each request is read in full (headers, then a Content-Length body), recorded, and handed to a
script that returns an `Action`: answer, reset (RST), send part of a body then reset or close,
never answer, or write arbitrary bytes. The server listens on 127.0.0.1, port 0, in a thread,
and stops (closing every connection, waking every hung action) when its `with` block ends.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

#: What an action does with the connection once it has run: keep it for the next request?
Action = Callable[[socket.socket, threading.Event], bool]
Script = Callable[["RawRequest"], Action]

_IO_TIMEOUT = 5.0  # a stuck test fails rather than hangs


@dataclass(frozen=True)
class RawRequest:
    """One request the raw server read: method, raw path (with query), headers (lower-case)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


class RawServer:
    """`with RawServer(script) as server:` serves `script` on `server.base_url`."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.01)  # how soon the accept loop notices a stop
        self.port: int = self._listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.requests: list[RawRequest] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> RawServer:
        self._start(self._accept_loop)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=_IO_TIMEOUT)
        self._listener.close()

    def _start(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(_IO_TIMEOUT)
            with self._lock:
                self._sockets.append(connection)
            self._start(self._serve, connection)

    def _serve(self, connection: socket.socket) -> None:
        buffer = bytearray()
        try:
            while not self._stopping.is_set():
                request = _read_request(connection, buffer)
                if request is None:
                    break
                with self._lock:
                    self.requests.append(request)
                if not self._script(request)(connection, self._stopping):
                    break
        except OSError:
            pass  # the client went away, or the action reset the connection
        finally:
            with contextlib.suppress(OSError):
                connection.close()

    def received(self, predicate: Callable[[RawRequest], bool] = lambda _: True) -> int:
        """How many requests matching `predicate` were read."""
        with self._lock:
            return sum(1 for request in self.requests if predicate(request))


def _read_request(connection: socket.socket, buffer: bytearray) -> RawRequest | None:
    """The next request on the connection, or None when the client closed it."""
    while b"\r\n\r\n" not in buffer:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = bytearray(rest)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        body += chunk
    buffer[:] = body[length:]
    return RawRequest(method=method, path=path, headers=headers, body=bytes(body[:length]))


# --- actions --------------------------------------------------------------------------------


def response_bytes(
    status: int,
    body: bytes = b"",
    *,
    content_type: str | None = "application/json",
    headers: Mapping[str, str] | None = None,
    content_length: int | None = None,
) -> bytes:
    """A full HTTP/1.1 response: status line, headers (Content-Length defaulted), body."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def respond(
    status: int,
    body: bytes | Any = b"",
    *,
    content_type: str | None = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Action:
    """Answer in full and keep the connection alive. A non-bytes body is sent as JSON."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    data = response_bytes(status, payload, content_type=content_type, headers=headers)

    def act(connection: socket.socket, stopping: threading.Event) -> bool:
        connection.sendall(data)
        return True

    return act


def redirect(location: str, *, status: int = 302) -> Action:
    """Answer a redirect to `location`."""
    return respond(status, b"", content_type=None, headers={"Location": location})


def reset() -> Action:
    """Reset the connection (RST) without answering."""

    def act(connection: socket.socket, stopping: threading.Event) -> bool:
        _reset(connection)
        return False

    return act


def partial(status: int, body: bytes, *, cut: int, content_type: str, how: str = "reset") -> Action:
    """Announce `body` in full (Content-Length), send `cut` bytes of it, then reset or close."""
    data = response_bytes(status, body, content_type=content_type)
    sent = data[: len(data) - len(body) + cut]

    def act(connection: socket.socket, stopping: threading.Event) -> bool:
        connection.sendall(sent)
        if how == "reset":
            _reset(connection)
        else:
            connection.shutdown(socket.SHUT_WR)
        return False

    return act


def hang(*, after: bytes = b"", sent: threading.Event | None = None) -> Action:
    """Send `after` (nothing by default), then never answer, until the server stops."""

    def act(connection: socket.socket, stopping: threading.Event) -> bool:
        if after:
            connection.sendall(after)
        if sent is not None:
            sent.set()
        stopping.wait(_IO_TIMEOUT * 4)
        return False

    return act


def send_and_close(data: bytes) -> Action:
    """Write `data` (say, another protocol's banner) and close."""

    def act(connection: socket.socket, stopping: threading.Event) -> bool:
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)
        return False

    return act


def _reset(connection: socket.socket) -> None:
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def closed_port() -> int:
    """A port that nothing listens on (bound, then closed): connections to it are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
