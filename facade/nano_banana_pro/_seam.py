"""The seam's shared half: what builds, guards and reads the generated `nano_banana_pro_api` client.

The seam is this module and `_async/seam.py` (with its generated blocking twin): the only places
that build or call the generated client. They own the httpx clients (key, user agent, timeouts,
transport), call the generated `*_detailed` functions, and turn their results into `Task`
objects and their failures into this package's errors, so nothing from inside the generated
code reaches a caller.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import ssl
import time
from collections.abc import Callable, Generator, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from nano_banana_pro_api import AuthenticatedClient

from ._config import API_KEY_HEADER, user_agent
from ._redaction import redact, redact_json
from .errors import APIResponseValidationError
from .task import Task

if TYPE_CHECKING:
    from nano_banana_pro_api.types import Response

__all__ = [
    "ApiKeyAuth",
    "before_request",
    "generated_client",
    "log_response",
    "point_at_api",
    "request_deadline",
    "seconds_left",
    "ssl_context",
    "task_from",
    "tasks_from",
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


#: The wall-clock instant (`time.monotonic`) by which the current request must be done, if any.
_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


@contextlib.contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Inside the block, requests end within `seconds` of now, in wall-clock time.

    Nested blocks keep the earliest deadline. The client's own connections enforce it on every
    socket operation (`_async/network.py`), so a server trickling its answer a byte at a time
    cannot stretch it; every transport has each phase's timeout cut to what is left.
    """
    if math.isinf(seconds):  # no deadline at all
        yield
        return
    deadline = time.monotonic() + max(seconds, 0.0)
    current = _deadline.get()
    token = _deadline.set(deadline if current is None else min(current, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float | None:
    """Seconds until the current request's deadline (0 or less once passed), or None."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def _clamp_to_deadline(request: httpx.Request) -> None:
    left = seconds_left()
    if left is None:
        return
    left = max(left, 0.001)
    timeouts = request.extensions.get("timeout", {})
    request.extensions["timeout"] = {
        phase: left if seconds is None else min(seconds, left)
        for phase, seconds in timeouts.items()
    }


def before_request(request: httpx.Request) -> None:
    """What every API request goes through: its timeouts cut to the wait's deadline, the log."""
    _clamp_to_deadline(request)
    _log_request(request)


def _log_request(request: httpx.Request) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        headers = {
            name: _REDACTED if name.lower() == API_KEY_HEADER else value
            for name, value in request.headers.items()
        }
        logger.debug("request %s %s headers=%s", request.method, request.url, headers)


def log_response(response: httpx.Response) -> None:
    """Log an answer (debug level)."""
    logger.debug(
        "response %s %s -> %d", response.request.method, response.request.url, response.status_code
    )


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One TLS context for every client of the process: building one costs tens of ms."""
    return httpx.create_ssl_context()


def generated_client(base_url: str) -> AuthenticatedClient:
    """The generated client for `base_url`; the key travels through `ApiKeyAuth`, not it."""
    return AuthenticatedClient(
        base_url=base_url, token=_TOKEN_PLACEHOLDER, prefix="", auth_header_name=API_KEY_HEADER
    )


def task_from(response: Response[Any], *, api_key: str, asked: str | None = None) -> Task:
    """The task in a create or get answer, its fields exactly as the service sent them.

    The generated model checks the shape; the task is read from the raw JSON, so that its id is
    kept as sent (the model's UUID field would lower-case it). The key is masked in it, should
    the service echo it: no status, URL or id carries it into a log, an error or a file.

    Raises:
        APIResponseValidationError: the answer holds no task, or another task than `asked`.
    """
    from nano_banana_pro_api.models import TaskDetailResponse

    if not isinstance(response.parsed, TaskDetailResponse):
        raise _unexpected(response, "no task in the answer", api_key=api_key)
    task = Task.from_payload(_unechoed(json.loads(response.content)["data"], response, api_key))
    if asked is not None and task.task_id.casefold() != asked.casefold():
        problem = f"the answer is about task {task.task_id}, not {asked}"
        raise _unexpected(response, problem, api_key=api_key)
    return task


def tasks_from(response: Response[Any], *, api_key: str) -> list[Task]:
    """The tasks in a list answer, their fields exactly as the service sent them (but the key).

    Raises:
        APIResponseValidationError: the answer holds no task list.
    """
    from nano_banana_pro_api.models import TaskListResponse

    if not isinstance(response.parsed, TaskListResponse):
        raise _unexpected(response, "no task list in the answer", api_key=api_key)
    data = _unechoed(json.loads(response.content)["data"], response, api_key)
    return [Task.from_payload(item) for item in data]


def _unechoed(data: Any, response: Response[Any], api_key: str) -> Any:
    """`data` with the key masked, when the answer may hold it.

    One scan of the body first: a UTF-8 body without the key's bytes and without a backslash
    (a JSON escape could spell it) cannot hold it; any other body (UTF-16, UTF-32) is masked.
    """
    content = response.content
    if (
        json.detect_encoding(content) == "utf-8"
        and api_key.encode("utf-8") not in content
        and b"\\" not in content
    ):
        return data
    return redact_json(data, [api_key])


def _unexpected(
    response: Response[Any], problem: str, *, api_key: str
) -> APIResponseValidationError:
    """The error for an answer that parsed but holds no task; its body's start, key masked."""
    try:  # parsed first, so that no escape or encoding spells the key past the mask
        text = json.dumps(redact_json(json.loads(response.content), [api_key]))
    except (ValueError, RecursionError):
        text = redact(response.content.decode("utf-8", "replace"), [api_key])
    return APIResponseValidationError(
        problem, status_code=int(response.status_code), body=text[:_BODY_KEPT]
    )


#: How much of an answer that holds no task an error keeps (`.body`).
_BODY_KEPT = 500
HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)


def point_at_api(
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
    # Answers as sent (they are small JSON): from a server that honours this, the 64 MiB cap on
    # an answer bounds its memory too. One that sends gzip anyway is decoded by httpx first.
    http_client.headers["Accept-Encoding"] = "identity"
    if http_client.headers.get("User-Agent", "").startswith("python-httpx/"):  # not the caller's
        http_client.headers["User-Agent"] = user_agent()
    http_client.event_hooks = hooks
    return http_client
