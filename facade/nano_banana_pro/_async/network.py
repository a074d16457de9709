"""The client's own connections: every socket operation ends by the request's deadline.

httpx's timeouts are per operation: a server that sends one byte every few seconds never trips
the read timeout, and keeps a request alive for ever. These connections cut each connect, read
and write to the time left before the deadline of `_seam.request_deadline`, and fail as a
timeout once it has passed, headers and body alike.
"""

from __future__ import annotations

import ssl
import typing
from collections.abc import Iterable

import httpcore
import httpx

from .._seam import seconds_left, ssl_context

__all__ = ["AsyncDeadlineTransport"]

_SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout`, cut to the time left before the deadline; raise `expired` once it passed."""
    left = seconds_left()
    if left is None:
        return timeout
    if left <= 0:
        raise expired("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class AsyncDeadlineStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._stream.start_tls(
            ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)
        )
        return AsyncDeadlineStream(stream)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return AsyncDeadlineStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_unix_socket(
            path, _bounded(timeout, httpcore.ConnectTimeout), socket_options
        )
        return AsyncDeadlineStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class AsyncDeadlineTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (its defaults, TLS with the shared context) on deadline sockets."""

    def __init__(self) -> None:
        super().__init__(verify=ssl_context())
        # httpx takes no network backend; its pool is rebuilt here with httpx's own defaults
        # (100 connections, 20 kept alive for 5 s). tests/reliability holds this to a trickle.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=AsyncDeadlineBackend(),
        )
