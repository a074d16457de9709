"""The httpx transport that hands requests to the fake in-process (sync and async)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ..clock import Clock
from ._http import FakeRequest, Outcome

__all__ = ["FakeTransport"]

Handler = Callable[[FakeRequest], Outcome]


class FakeTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers httpx requests with the fake, in the calling thread or event loop.

    A drop raises `httpx.RemoteProtocolError`; a delay sleeps on the fake's clock, and raises
    `httpx.ReadTimeout` after the request's read timeout when it is longer. Webhook senders
    run in the caller (in the event loop for an async client).
    """

    def __init__(self, handler: Handler, clock: Clock) -> None:
        self._handler = handler
        self._clock = clock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (see the class for the faults it raises)."""
        outcome = self._handler(_fake_request(request, request.read()))
        wait, timed_out = _wait(outcome, request)
        self._clock.sleep(wait)
        return _response(outcome, request, timed_out=timed_out)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request without blocking the event loop (see `handle_request`)."""
        outcome = self._handler(_fake_request(request, await request.aread()))
        wait, timed_out = _wait(outcome, request)
        await self._clock.asleep(wait)
        return _response(outcome, request, timed_out=timed_out)


def _fake_request(request: httpx.Request, body: bytes) -> FakeRequest:
    url = request.url
    return FakeRequest(
        method=request.method,
        raw_path=url.raw_path.decode("ascii").partition("?")[0],
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        origin=f"{url.scheme}://{url.netloc.decode('ascii')}",
    )


def _wait(outcome: Outcome, request: httpx.Request) -> tuple[float, bool]:
    """Seconds to wait before answering, and whether the client gives up first."""
    read_timeout = request.extensions.get("timeout", {}).get("read")
    if read_timeout is not None and outcome.delay > read_timeout:
        return read_timeout, True
    return outcome.delay, False


def _response(outcome: Outcome, request: httpx.Request, *, timed_out: bool) -> httpx.Response:
    if timed_out:
        raise httpx.ReadTimeout("The read operation timed out", request=request)
    if outcome.reply is None:
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    reply = outcome.reply
    return httpx.Response(
        reply.status, headers=dict(reply.headers), content=reply.body, request=request
    )
