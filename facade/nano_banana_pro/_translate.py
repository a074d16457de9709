"""The one place where HTTP answers and transport failures become this package's errors."""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from ._config import API_KEY_HEADER, MAX_ANSWER_BYTES
from ._redaction import redact, redact_json
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    NanoBananaProError,
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
_HINT_IMAGE_REFUSED = "The image host refused it: its URL may have expired, get() the task again"
_HINT_IMAGE_FAILED = "The image host failed: try again later"
#: The extension an image request carries the key in, to mask it in errors: it is not sent.
IMAGE_REQUEST = "nano_banana_pro.image_request"
#: How much of a body that is not JSON is kept on the error.
_BODY_EXCERPT = 500
#: How much of the service's message goes into the error's text (it ends up in logs).
_MESSAGE_LIMIT = 300


def error_from_response(response: httpx.Response, *, unreadable: str | None = None) -> APIError:
    """The error for a response that is not a success, or not JSON; its body read, or not.

    When the body could not be read, `unreadable` says why, and stands for it.

    The API key is masked in what the error keeps of the body, should the server echo it.
    """
    secrets = _secrets_of(response.request)
    if unreadable is not None:
        body, message = None, f"{response.reason_phrase or 'error'} ({unreadable})"
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
        if IMAGE_REQUEST in response.request.extensions:  # not the API: none of its meanings
            error_class, hint = _image_host_error(status)
        error = error_class(
            message,
            status_code=status,
            body=body,
            hint=hint,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    error.request = sent_request(response.request)
    return error


def _image_host_error(status: int) -> tuple[type[APIError], str]:
    """The error for an image host's answer: a 404 or 403 is an expired URL, not a task."""
    if status >= 500:
        return ServerError, _HINT_IMAGE_FAILED
    if status == 429:
        return RateLimitError, _HINT_IMAGE_FAILED
    return APIError, _HINT_IMAGE_REFUSED


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
    url = redact(str(request.url), _secrets_of(request))
    return SentRequest(method=request.method, url=url, json=body)


def _invalid_shape(error: Exception, *, api_key: str | None) -> APIResponseValidationError:
    if isinstance(error, RecursionError):
        problem = "is JSON nested too deeply to read"
    elif isinstance(error, httpx.DecodingError):
        problem = "cannot be decoded as its Content-Encoding says"
    elif isinstance(error, json.JSONDecodeError):
        problem = "is not JSON"
    else:
        problem = "does not match the spec"
    detail = redact(f"{type(error).__name__}: {error}", [api_key])
    return APIResponseValidationError(
        f"the answer {problem} ({detail})",
        status_code=200,
        hint="Report this if it persists; the service may have changed",
    )


#: What reading a body of the wrong shape raises: the generated models, `json`, httpx's decoders.
_SHAPE_ERRORS = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    RecursionError,
)


class AnswerTooLargeError(Exception):
    """An answer's body passed `MAX_ANSWER_BYTES`: `translated_failures` makes it typed."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        super().__init__(f"a body over {MAX_ANSWER_BYTES} bytes, not read past that")


@contextlib.contextmanager
def translated_failures(*, api_key: str | None = None, downloading: bool = False) -> Iterator[None]:
    """Turn transport errors and malformed bodies into this package's errors.

    `api_key` is masked in what a malformed body's error quotes of it.

    Raises:
        NanoBananaProError: the translated failure (`DownloadError` for an image's body).
    """
    try:
        yield
    except NanoBananaProError:
        raise
    except AnswerTooLargeError as error:  # a success's body: an error's became its status's
        raise APIResponseValidationError(
            f"the answer is not one the spec describes ({error})", status_code=error.status_code
        ) from None
    except httpx.TransportError as error:
        raise error_from_transport(error) from error
    except httpx.TooManyRedirects as error:  # only downloads follow redirects
        raise DownloadError(
            f"the image host redirected too many times ({error}); get() the task again for "
            "fresh image URLs"
        ) from error
    except httpx.DecodingError as error:
        if not downloading:
            raise _invalid_shape(error, api_key=api_key) from error
        raise DownloadError(
            f"the image's body cannot be decoded as its Content-Encoding says ({error}); try "
            "again, or get() the task for fresh image URLs"
        ) from error
    except _SHAPE_ERRORS as error:
        if downloading:  # httpx could not use what the image host sent (a redirect's host)
            raise DownloadError(
                f"the image host's answer cannot be followed ({type(error).__name__}: {error}); "
                "get() the task again for fresh image URLs"
            ) from error
        raise _invalid_shape(error, api_key=api_key) from error
