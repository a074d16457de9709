"""The seam's asyncio half: the three operations through the generated client, and downloads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Generic, TypeVar

import httpx

from nano_banana_pro_api import AuthenticatedClient
from nano_banana_pro_api.api.text_to_image import (
    create_image_from_text_nano_banana_pro as create_operation,
)
from nano_banana_pro_api.api.text_to_image import (
    get_all_nano_banana_pro_tasks as list_operation,
)
from nano_banana_pro_api.api.text_to_image import (
    get_nano_banana_pro_task_status as get_operation,
)
from nano_banana_pro_api.models import CreateImageRequest

from .._config import MAX_ANSWER_BYTES, user_agent
from .._redaction import redact
from .._salvage import keep_answer, salvaged_task_id
from .._seam import (
    before_request,
    generated_client,
    log_response,
    point_at_api,
    task_from,
    tasks_from,
)
from .._synchronization import arunning_loop
from .._translate import (
    IMAGE_REQUEST,
    AnswerTooLargeError,
    error_from_response,
    translated_failures,
)
from .._url_checks import image_url_problem
from ..errors import DownloadError, InvalidRequestError
from ..task import Task

__all__ = ["AsyncImageHost", "AsyncLoopBinding", "AsyncServiceApi"]

_Bound = TypeVar("_Bound")


async def _request_hook(request: httpx.Request) -> None:
    before_request(request)


class AsyncBoundedStream(httpx.AsyncByteStream):
    """An answer's body, refused once it passes `MAX_ANSWER_BYTES` (as sent, before decoding)."""

    def __init__(self, stream: httpx.AsyncByteStream, *, status_code: int) -> None:
        self._stream = stream
        self._status_code = status_code

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """The body's chunks, as they come.

        Raises:
            AnswerTooLargeError: the body passed the limit (the rest is not read).
        """
        seen = 0
        async for chunk in self._stream:
            seen += len(chunk)
            if seen > MAX_ANSWER_BYTES:
                raise AnswerTooLargeError(self._status_code)
            yield chunk

    async def aclose(self) -> None:
        """Close the body's stream."""
        await self._stream.aclose()


async def _response_hook(response: httpx.Response) -> None:
    """Raise this package's error for an error status, before the generated code parses it."""
    if isinstance(response.stream, httpx.AsyncByteStream):  # a transport's own body stream
        response.stream = AsyncBoundedStream(response.stream, status_code=response.status_code)
    if not response.is_success:
        try:
            await response.aread()
        except httpx.DecodingError:
            encoding = response.headers.get("content-encoding", "its encoding")
            raise error_from_response(response, unreadable=f"a body not in {encoding}") from None
        except AnswerTooLargeError as error:  # the status's own error, and its meaning
            raise error_from_response(response, unreadable=str(error)) from None
        raise error_from_response(response)
    log_response(response)
    keep_answer(response)


def _image_request_hook(api_key: str) -> Callable[[httpx.Request], Awaitable[None]]:
    """The hook every request of a download goes through, redirected ones too."""

    async def check(request: httpx.Request) -> None:
        """Refuse a URL no connection can use; keep the key aside, to mask it in errors.

        Raises:
            DownloadError: not http(s), or a host or port no connection can use.
        """
        problem = image_url_problem(request.url)
        if problem is not None:
            url = redact(str(request.url), [api_key])
            raise DownloadError(f"refusing to download {url!r}: {problem}")
        request.extensions[IMAGE_REQUEST] = api_key  # never sent: the host echoing it is masked

    return check


async def _image_response_hook(response: httpx.Response) -> None:
    """An image host's error body is read up to the cap, as an API answer is; images are not."""
    if not response.is_success and isinstance(response.stream, httpx.AsyncByteStream):
        response.stream = AsyncBoundedStream(response.stream, status_code=response.status_code)


def _deadline_transport() -> httpx.AsyncBaseTransport:
    """The client's own connections (httpcore, imported when a client is made, not before)."""
    from .network import AsyncDeadlineTransport

    return AsyncDeadlineTransport()


class AsyncLoopBinding(Generic[_Bound]):
    """An HTTP client for the event loop that runs now: made anew when another loop runs.

    httpx's async connections belong to the loop that opened them, so a client reused across
    `asyncio.run()` calls would fail with "Event loop is closed". One the package made is made
    again for the new loop; one the caller passed in cannot be, and is refused with a typed error.
    """

    def __init__(self, make: Callable[[], _Bound], *, given: _Bound | None = None) -> None:
        self._make = make
        self._given = given
        self.current = make() if given is None else given
        self._loop: object = None

    def get(self) -> _Bound:
        """The client for the running loop.

        Raises:
            InvalidRequestError: the caller's own client, first used in another event loop.
        """
        loop = arunning_loop()
        if loop is not self._loop:
            if self._loop is not None:
                if self._given is not None:
                    raise InvalidRequestError(
                        "http_client",
                        "belongs to the event loop it was first used in, and this is another "
                        "one: create the client (and its http_client) inside each asyncio.run()",
                    )
                self.current = self._make()  # the old one's loop has ended: it cannot close
            self._loop = loop
        return self.current

    def closable(self) -> _Bound | None:
        """The client, unless it belongs to another loop (then its connections died with it)."""
        return self.current if self._loop in (None, arunning_loop()) else None


class AsyncServiceApi:
    """The three operations, through the generated client."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: httpx.Timeout,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        def point(client: httpx.AsyncClient) -> AuthenticatedClient:
            pointed = point_at_api(
                client,
                api_key=api_key,
                base_url=base_url,
                timeout=timeout,
                hooks={"request": [_request_hook], "response": [_response_hook]},
            )
            return generated_client(base_url).set_async_httpx_client(pointed)

        def make() -> AuthenticatedClient:
            return point(httpx.AsyncClient(transport=transport or _deadline_transport()))

        self._clients = AsyncLoopBinding(
            make, given=None if http_client is None else point(http_client)
        )
        self._owns_http_client = http_client is None
        self._api_key = api_key

    async def create(self, body: CreateImageRequest) -> Task:
        """POST a create request.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with salvaged_task_id(api_key=self._api_key), translated_failures(api_key=self._api_key):
            client = self._clients.get()
            response = await create_operation.asyncio_detailed(client=client, body=body)
            return task_from(response, api_key=self._api_key)

    async def get(self, task_id: str) -> Task:
        """GET one task.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures(api_key=self._api_key):
            response = await get_operation.asyncio_detailed(task_id, client=self._clients.get())
            return task_from(response, api_key=self._api_key, asked=task_id)

    async def list(self) -> list[Task]:
        """GET the task list.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures(api_key=self._api_key):
            response = await list_operation.asyncio_detailed(client=self._clients.get())
            return tasks_from(response, api_key=self._api_key)

    async def aclose(self) -> None:
        """Close the HTTP client, unless the caller passed it in (then it is theirs)."""
        client = self._clients.closable()
        if self._owns_http_client and client is not None:
            await client.get_async_httpx_client().aclose()


class AsyncImageHost:
    """Image downloads: no API key at all, redirects followed, the image asked for as stored."""

    def __init__(
        self,
        *,
        api_key: str,
        timeout: httpx.Timeout,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        def make() -> httpx.AsyncClient:
            return httpx.AsyncClient(
                timeout=timeout,
                transport=transport or _deadline_transport(),
                follow_redirects=True,
                event_hooks={
                    "request": [_image_request_hook(api_key)],
                    "response": [_image_response_hook],
                },
                # The image as stored: its length is checked against Content-Length on the wire.
                headers={"User-Agent": user_agent(), "Accept-Encoding": "identity"},
            )

        self._clients = AsyncLoopBinding(make)

    def stream(self, url: str) -> AbstractAsyncContextManager[httpx.Response]:
        """GET the image, streamed."""
        return self._clients.get().stream("GET", url)

    async def aclose(self) -> None:
        """Close the connections."""
        client = self._clients.closable()
        if client is not None:
            await client.aclose()
