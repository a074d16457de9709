"""The seam: the only module that builds or calls the generated `nano_banana_pro_api` client.

It owns the httpx clients (key, user agent, timeouts, transport), calls the generated
`*_detailed` functions, and turns their results into `Task` objects and their failures into
this package's errors, so nothing from inside the generated code reaches a caller.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import ssl
from collections.abc import Callable, Generator, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

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
from nano_banana_pro_api.models import CreateImageRequest, TaskDetailResponse, TaskListResponse
from nano_banana_pro_api.types import Response

from ._config import API_KEY_HEADER, user_agent
from ._translate import error_from_response, error_from_transport
from .errors import APIResponseValidationError, DownloadError, NanoBananaProError
from .task import Task

__all__ = [
    "AsyncServiceApi",
    "ServiceApi",
    "build_async_download_client",
    "build_download_client",
    "request_deadline",
    "translated_failures",
]

logger = logging.getLogger("nano_banana_pro")
_REDACTED = "<redacted>"
#: The generated client insists on a token; the real key travels through `ApiKeyAuth` only, so
#: that no repr of the generated client can show it.
_TOKEN_PLACEHOLDER = "<held by nano_banana_pro.ApiKeyAuth>"  # noqa: S105 - not a secret


class ApiKeyAuth(httpx.Auth):
    """Adds the API key to requests for the API's own origin, and to no other."""

    def __init__(self, api_key: str, *, base_url: str) -> None:
        self._api_key = api_key
        self._origin = _origin(httpx.URL(base_url))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the key header when the request goes to the API's origin."""
        if _origin(request.url) == self._origin:
            request.headers[API_KEY_HEADER] = self._api_key
        yield request

    def __repr__(self) -> str:
        return f"ApiKeyAuth(api_key={_REDACTED!r}, origin={self._origin!r})"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


#: While a wait polls: the seconds left before its deadline (see `request_deadline`).
_time_left: ContextVar[Callable[[], float] | None] = ContextVar("time_left", default=None)


@contextlib.contextmanager
def request_deadline(time_left: Callable[[], float]) -> Iterator[None]:
    """Inside the block, no request waits longer than `time_left()` seconds for any phase."""
    token = _time_left.set(time_left)
    try:
        yield
    finally:
        _time_left.reset(token)


def _clamp_to_deadline(request: httpx.Request) -> None:
    time_left = _time_left.get()
    if time_left is None:
        return
    left = max(time_left(), 0.001)
    timeouts = request.extensions.get("timeout", {})
    request.extensions["timeout"] = {
        phase: left if seconds is None else min(seconds, left)
        for phase, seconds in timeouts.items()
    }


def _sync_request_hook(request: httpx.Request) -> None:
    _clamp_to_deadline(request)
    _log_request(request)


def _log_request(request: httpx.Request) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        headers = {
            name: _REDACTED if name.lower() == API_KEY_HEADER else value
            for name, value in request.headers.items()
        }
        logger.debug("request %s %s headers=%s", request.method, request.url, headers)


def _log_response(response: httpx.Response) -> None:
    logger.debug(
        "response %s %s -> %d", response.request.method, response.request.url, response.status_code
    )


def _sync_response_hook(response: httpx.Response) -> None:
    """Raise this package's error for an error status, before the generated code parses it."""
    if not response.is_success:
        response.read()
        raise error_from_response(response)
    _log_response(response)


async def _async_response_hook(response: httpx.Response) -> None:
    """The async twin of `_sync_response_hook`."""
    if not response.is_success:
        await response.aread()
        raise error_from_response(response)
    _log_response(response)


async def _async_request_hook(request: httpx.Request) -> None:
    _sync_request_hook(request)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every client of the process: building one costs tens of ms."""
    return httpx.create_ssl_context()


def _generated_client(base_url: str) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=base_url, token=_TOKEN_PLACEHOLDER, prefix="", auth_header_name=API_KEY_HEADER
    )


def _task_from(response: Response[Any]) -> Task:
    parsed = response.parsed
    if not isinstance(parsed, TaskDetailResponse):
        raise _unexpected(response, "no task in the answer")
    return Task.from_payload(parsed.data.to_dict())


def _tasks_from(response: Response[Any]) -> list[Task]:
    parsed = response.parsed
    if not isinstance(parsed, TaskListResponse):
        raise _unexpected(response, "no task list in the answer")
    return [Task.from_payload(item.to_dict()) for item in parsed.data]


def _unexpected(response: Response[Any], problem: str) -> APIResponseValidationError:
    return APIResponseValidationError(
        problem,
        status_code=int(response.status_code),
        body=response.content[:500].decode("utf-8", "replace"),
    )


def _invalid_shape(error: Exception) -> APIResponseValidationError:
    not_json = isinstance(error, json.JSONDecodeError)
    problem = "is not JSON" if not_json else "does not match the spec"
    return APIResponseValidationError(
        f"the answer {problem} ({type(error).__name__}: {error})",
        status_code=200,
        hint="Report this if it persists; the service may have changed",
    )


#: What the generated models raise on a body of the wrong shape.
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


class ServiceApi:
    """Blocking access to the three operations, through the generated client."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: httpx.Timeout,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._owns_http_client = http_client is None
        self.http_client = _api_http_client(
            http_client or httpx.Client(transport=transport, verify=_ssl_context()),
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            hooks={"request": [_sync_request_hook], "response": [_sync_response_hook]},
        )
        self._client = _generated_client(base_url).set_httpx_client(self.http_client)

    def create(self, body: CreateImageRequest) -> Task:
        """POST a create request.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures():
            return _task_from(create_operation.sync_detailed(client=self._client, body=body))

    def get(self, task_id: str) -> Task:
        """GET one task.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures():
            return _task_from(get_operation.sync_detailed(task_id, client=self._client))

    def list(self) -> list[Task]:
        """GET the task list.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures():
            return _tasks_from(list_operation.sync_detailed(client=self._client))

    def close(self) -> None:
        """Close the HTTP client, unless the caller passed it in (then it is theirs)."""
        if self._owns_http_client:
            self.http_client.close()


class AsyncServiceApi:
    """Async access to the three operations, through the generated client."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: httpx.Timeout,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._owns_http_client = http_client is None
        self.http_client = _api_http_client(
            http_client or httpx.AsyncClient(transport=transport, verify=_ssl_context()),
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            hooks={"request": [_async_request_hook], "response": [_async_response_hook]},
        )
        self._client = _generated_client(base_url).set_async_httpx_client(self.http_client)

    async def create(self, body: CreateImageRequest) -> Task:
        """POST a create request.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures():
            response = await create_operation.asyncio_detailed(client=self._client, body=body)
            return _task_from(response)

    async def get(self, task_id: str) -> Task:
        """GET one task.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures():
            return _task_from(await get_operation.asyncio_detailed(task_id, client=self._client))

    async def list(self) -> list[Task]:
        """GET the task list.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures():
            return _tasks_from(await list_operation.asyncio_detailed(client=self._client))

    async def aclose(self) -> None:
        """Close the HTTP client, unless the caller passed it in (then it is theirs)."""
        if self._owns_http_client:
            await self.http_client.aclose()


HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)


def _api_http_client(
    http_client: HttpClient,
    *,
    api_key: str,
    base_url: str,
    timeout: httpx.Timeout,
    hooks: dict[str, list[Callable[..., Any]]],
) -> HttpClient:
    """Point an HTTP client (ours, or the caller's) at the API: base URL, key, timeout, hooks."""
    http_client.base_url = base_url
    http_client.auth = ApiKeyAuth(api_key, base_url=base_url)
    http_client.timeout = timeout
    # Never follow a redirect from the API: the key must not travel to another origin.
    http_client.follow_redirects = False
    if http_client.headers.get("User-Agent", "").startswith("python-httpx/"):  # not the caller's
        http_client.headers["User-Agent"] = user_agent()
    http_client.event_hooks = hooks
    return http_client


@contextlib.contextmanager
def translated_failures() -> Iterator[None]:
    """Turn transport errors and malformed bodies into this package's errors."""
    try:
        yield
    except NanoBananaProError:
        raise
    except httpx.TransportError as error:
        raise error_from_transport(error) from error
    except httpx.TooManyRedirects as error:  # only downloads follow redirects
        raise DownloadError(
            f"the image host redirected too many times ({error}); get() the task again for "
            "fresh image URLs"
        ) from error
    except _SHAPE_ERRORS as error:
        raise _invalid_shape(error) from error


def build_download_client(
    *, timeout: httpx.Timeout, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A client for image downloads: no API key at all, redirects followed."""
    return httpx.Client(
        timeout=timeout,
        transport=transport,
        verify=_ssl_context(),
        follow_redirects=True,
        headers={"User-Agent": user_agent()},
    )


def build_async_download_client(
    *, timeout: httpx.Timeout, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The async twin of `build_download_client`."""
    return httpx.AsyncClient(
        timeout=timeout,
        transport=transport,
        verify=_ssl_context(),
        follow_redirects=True,
        headers={"User-Agent": user_agent()},
    )
