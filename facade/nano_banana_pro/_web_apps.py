"""The ASGI and WSGI protocols, as the webhook receiver speaks them: requests in, replies out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

# The ASGI types, as Starlette declares them (so that `app.mount(path, receiver)` type-checks).
Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
#: A request as the receiver's core takes it: method, headers, body.
Request: TypeAlias = tuple[str, dict[str, str], bytes]


async def lifespan(receive: Receive, send: Send) -> None:
    """Answer the lifespan protocol: nothing to start, nothing to stop."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def asgi_request(scope: Scope, receive: Receive, *, limit: int) -> Request | None:
    """An ASGI HTTP request, its body read up to `limit` bytes or a little more.

    None when the sender went away first.
    """
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    return scope["method"], headers, b"".join(chunks)


async def asgi_reply(
    send: Send, *, status: int, headers: Sequence[tuple[str, str]], body: bytes
) -> None:
    """Send an ASGI HTTP response."""
    start = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


def wsgi_request(environ: WSGIEnvironment, *, limit: int) -> Request:
    """A WSGI request, its body at most `limit` bytes (and never past its `Content-Length`).

    Raises:
        OSError: the connection broke while reading.
    """
    headers = {
        name.removeprefix("HTTP_").replace("_", "-"): value
        for name, value in environ.items()
        if name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH")
    }
    return environ.get("REQUEST_METHOD", ""), headers, _wsgi_body(environ, limit=limit)


def _wsgi_body(environ: WSGIEnvironment, *, limit: int) -> bytes:
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # the server ends the stream (chunked bodies)
        data: bytes = stream.read(limit)
        return data
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    data = stream.read(min(length, limit)) if length > 0 else b""
    return data
