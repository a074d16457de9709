"""The one place where HTTP answers and transport failures become this package's errors."""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from typing import Any

import httpx

from ._config import API_KEY_HEADER
from ._redaction import redact, redact_json
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SentRequest,
    ServerError,
)

#: Status -> (error class, what to do next). Codes not listed fall back by class (4xx, 5xx).
STATUS_TABLE: dict[int, tuple[type[APIError], str]] = {
    400: (BadRequestError, "Fix the request; see invalid_params"),
    401: (AuthenticationError, "Check the key: pass api_key=... or set MAGNIFIC_API_KEY"),
    402: (PermissionDeniedError, "The account may be out of credits: check its billing"),
    403: (PermissionDeniedError, "This key may not do this: check its permissions"),
    404: (
        NotFoundError,
        "No such task (ids expire): check the id against list(), and that base_url is the "
        "API's root",
    ),
    408: (APIError, "The service timed out waiting for the request: try again"),
    429: (RateLimitError, "Too many requests: slow down, or raise max_retries"),
}
_HINT_CLIENT_ERROR = "The service refused the request"
_HINT_SERVER_ERROR = "The service failed: try again later"
_HINT_IMAGE_REFUSED = "The image host refused it: get() the task again for fresh image URLs"
_HINT_IMAGE_FAILED = "The image host failed: try again later"
#: The extension an image request carries the key in, to mask it in errors: it is not sent.
IMAGE_REQUEST = "nano_banana_pro.image_request"
#: How much of a body that is not JSON is kept on the error.
_BODY_EXCERPT = 500
#: How much of the service's message goes into the error's text (it ends up in logs).
_MESSAGE_LIMIT = 300


def error_from_response(response: httpx.Response, *, body_unreadable: bool = False) -> APIError:
    """The error for a response that is not a success, or not JSON. Its body must be read.

    The API key is masked in what the error keeps of the body, should the server echo it.
    """
    secrets = _secrets_of(response.request)
    if body_unreadable:
        encoding = response.headers.get("content-encoding", "its encoding")
        body, message = None, f"{response.reason_phrase or 'error'} (a body not in {encoding})"
    else:
        body, message = _describe_body(response)
    body, message = redact_json(body, secrets), redact(message, secrets)
    status = response.status_code
    error: APIError
    if 200 <= status < 300:
        error = APIResponseValidationError(
            f"the response is not the JSON the spec describes: {message}",
            status_code=status,
            body=body,
            hint="Report this if it persists; the service may have changed",
        )
    else:
        error_class, hint = STATUS_TABLE.get(status, _fallback(status))
        if IMAGE_REQUEST in response.request.extensions:  # not the API: none of its hints
            hint = _HINT_IMAGE_FAILED if status >= 500 else _HINT_IMAGE_REFUSED
        error = error_class(
            message,
            status_code=status,
            body=body,
            hint=hint,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    error.request = sent_request(response.request)
    return error


def _fallback(status: int) -> tuple[type[APIError], str]:
    if status >= 500:
        return ServerError, _HINT_SERVER_ERROR
    return APIError, _HINT_CLIENT_ERROR


def _describe_body(response: httpx.Response) -> tuple[Any, str]:
    """The parsed body (or an excerpt of the raw one) and the message to show."""
    text = response.text
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        excerpt = " ".join(text[:_BODY_EXCERPT].split())
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        return excerpt, f"{response.reason_phrase or 'error'} ({kind} body: {excerpt[:120]!r})"
    message = _message_of(body) or response.reason_phrase or "no message"
    if len(message) > _MESSAGE_LIMIT:
        message = f"{message[:_MESSAGE_LIMIT]}... ({len(message)} characters; see .body)"
    return body, message


def _message_of(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for holder in (body, body.get("problem")):
        if isinstance(holder, dict) and isinstance(holder.get("message"), str):
            return str(holder["message"])
    return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date.

    Returns None when absent or unreadable; never negative.
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_from_transport(error: httpx.TransportError) -> APIConnectionError:
    """The error for a request that got no complete answer.

    `request_sent` is False only when the connection was never made (nothing reached the
    service), which is the one case where a create can safely be retried.
    """
    never_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    with contextlib.suppress(RuntimeError):  # httpx raises it when no request is attached
        detail = redact(detail, _secrets_of(error.request))
    hint = "check the network and base_url"
    with contextlib.suppress(RuntimeError):
        if IMAGE_REQUEST in error.request.extensions:
            hint = "check the network, or get() the task again for fresh image URLs"
    failure: APIConnectionError
    if isinstance(error, httpx.TimeoutException):
        failure = APITimeoutError(
            f"the service did not answer in time ({detail})",
            request_sent=not never_sent,
            hint="raise timeout= if this persists",
        )
    else:
        failure = APIConnectionError(
            f"could not talk to the service ({detail})",
            request_sent=not never_sent,
            hint=hint,
        )
    with contextlib.suppress(RuntimeError):  # httpx raises it when no request is attached
        failure.request = sent_request(error.request)
    return failure


def _secrets_of(request: httpx.Request) -> list[str]:
    """The API key a request carried (or an image request kept aside): what no error shows."""
    key = request.headers.get(API_KEY_HEADER, request.extensions.get(IMAGE_REQUEST))
    return [] if key is None else [key]


def sent_request(request: httpx.Request) -> SentRequest:
    """What an error keeps of the request it is about: method, URL and JSON body, no headers."""
    try:
        body = json.loads(request.content) if request.content else None
    except (ValueError, httpx.RequestNotRead):
        body = None
    return SentRequest(method=request.method, url=str(request.url), json=body)
