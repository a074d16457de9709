"""The exceptions this package raises, and the one table that maps HTTP statuses to them.

Every error a caller can see derives from `NanoBananaProError`. Messages say what to do next.
Nothing here ever holds the API key.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .task import Task

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AmbiguousCreateError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetFileError",
    "DownloadError",
    "InvalidRequestError",
    "LedgerError",
    "NanoBananaProError",
    "NotFoundError",
    "OutputError",
    "PermissionDeniedError",
    "RateLimitError",
    "SentRequest",
    "ServerError",
    "SidecarError",
    "TaskFailedError",
    "WaitTimeoutError",
    "WebhookVerificationError",
]


@attrs.frozen(kw_only=True)
class SentRequest:
    """A request as the client sent it, for the error about it. Never its headers (the key).

    Attributes:
        method: `GET` or `POST`.
        url: The full URL.
        json: The JSON body (a create's parameters), or None.
    """

    method: str
    url: str
    json: Any = None


class NanoBananaProError(Exception):
    """Base of every error raised by this package.

    Attributes:
        task_id: The id of the task the failed call was about, when one exists. A create that
            failed after the service may have acted on it carries `None` here: check
            `client.list()` before creating again.
        request: The request that failed (its last attempt), when one was sent or tried: for
            an ambiguous create, the parameters of the task that may exist.
    """

    task_id: str | None = None
    request: SentRequest | None = None


class InvalidRequestError(NanoBananaProError, ValueError):
    """A parameter was refused before anything was sent.

    Attributes:
        field: The parameter at fault (`prompt`, `aspect_ratio`, `reference_images[3].image`...).
        allowed: The values or the range the parameter accepts, when that is a short list.
    """

    def __init__(self, field: str, message: str, *, allowed: Sequence[str] = ()) -> None:
        self.field = field
        self.allowed = tuple(allowed)
        text = f"{field}: {message}"
        if self.allowed:
            text += f" (allowed: {', '.join(self.allowed)})"
        super().__init__(text)


class APIConnectionError(NanoBananaProError):
    """The service could not be reached, or the connection broke before a full answer arrived.

    Attributes:
        request_sent: True when the request may have reached the service (for a create: a task
            may exist and be billed), False when the connection was never made.
    """

    def __init__(
        self, message: str, *, request_sent: bool, task_id: str | None = None, hint: str = ""
    ) -> None:
        self.request_sent = request_sent
        self.task_id = task_id
        self._message = message
        super().__init__(self._text(hint))

    def _text(self, hint: str) -> str:
        return f"{self._message}; {hint}" if hint else self._message


class APITimeoutError(APIConnectionError):
    """The service did not answer within the HTTP timeout."""


class APIError(NanoBananaProError):
    """The service answered with an error status.

    Attributes:
        status_code: The HTTP status.
        message: The service's message, or a description of the body when it was not JSON.
        body: The parsed JSON body, or the start of the raw body when it was not JSON.
        retry_after: Seconds the service asked to wait (`Retry-After`), when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: object = None,
        task_id: str | None = None,
        hint: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.body = body
        self.task_id = task_id
        self.retry_after = retry_after
        super().__init__(self._text(hint))

    def _text(self, hint: str) -> str:
        text = f"HTTP {self.status_code}: {self.message}"
        if not hint:
            return text
        return f"{text} {hint}" if text.endswith((".", "!", "?")) else f"{text}. {hint}"


class BadRequestError(APIError):
    """400: the service refused the request.

    Attributes:
        invalid_params: `(name, reason)` pairs from a problem+json body, whichever of its two
            shapes the service used.
    """

    @property
    def invalid_params(self) -> tuple[tuple[str, str], ...]:
        """`(name, reason)` pairs from the body, from either problem+json shape."""
        return _invalid_params(self.body)


class AuthenticationError(APIError):
    """401: the API key is missing or wrong."""


class PermissionDeniedError(APIError):
    """402 or 403: the key may not do this (for example, it is out of credits)."""


class NotFoundError(APIError):
    """404: no task with that id (or it expired)."""


class RateLimitError(APIError):
    """429: too many requests; `retry_after` says how long the service asked to wait."""


class ServerError(APIError):
    """5xx (or a non-standard gateway status such as 520 or 529): the service failed."""


class APIResponseValidationError(APIError):
    """The service answered 2xx with a body that does not match the spec."""


class TaskFailedError(NanoBananaProError):
    """The task ended without images: FAILED (or CANCELLED, ERROR). The service gives no reason.

    Attributes:
        task: The task as it ended (`.status` says how), with its raw payload (which may hold
            fields the spec lacks).
    """

    def __init__(self, task: Task) -> None:
        self.task = task
        self.task_id = task.task_id
        super().__init__(
            f"task {task.task_id} {task.status}; the service gives no reason. Check the prompt "
            "and reference images, then create a new task."
        )


class WaitTimeoutError(NanoBananaProError, TimeoutError):
    """The task did not finish before the wait's deadline. It may still finish: resume it.

    Attributes:
        task_id: The task waited for.
        elapsed: Seconds spent waiting.
        last_status: The last status seen, or None when no poll succeeded.
    """

    def __init__(self, *, task_id: str, elapsed: float, last_status: str | None) -> None:
        self.task_id = task_id
        self.elapsed = elapsed
        self.last_status = last_status
        super().__init__(
            f"task {task_id} not finished after {elapsed:.1f}s (last status: {last_status}); "
            f"resume with client.wait({task_id!r}) or `nano-banana-pro wait {task_id}`"
        )


class DownloadError(NanoBananaProError):
    """An image could not be saved: a refused URL, a cut-short body, or a file in the way."""


class OutputError(DownloadError):
    """An image could not be written where asked: a file in the way, a full disk, no permission.

    Attributes:
        path: The file or folder at fault.
    """

    def __init__(self, message: str, *, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        super().__init__(message)


class AmbiguousCreateError(NanoBananaProError):
    """A create may have made (and billed) a task whose id never came back, so it is not made again.

    The ledger recorded the item as `ambiguous`: the request was sent, but the answer was lost
    (a crash, a timeout or a 5xx after sending). Check the key's tasks (`client.list()`,
    `nano-banana-pro list`) before creating it anew with `recreate_ambiguous=True`
    (CLI: `--recreate-ambiguous`).
    """


class LedgerError(NanoBananaProError):
    """The task ledger cannot be used: in use by another run, newer, corrupt, or unwritable.

    Unwritable: SQLite could not read or write it (a full disk, a read-only file); what it
    recorded before stays. The file is never changed by the check that fails; the message says
    what to do.
    """


class BudgetFileError(NanoBananaProError):
    """The budget file shared by processes (`RateLimit(shared=...)`) cannot be used.

    It is not a budget file, is from a newer version, is damaged, or stayed locked by another
    process for too long. The message names the file and says what to do.
    """


class SidecarError(NanoBananaProError):
    """A provenance sidecar (`<image>.json`) cannot be read: damaged, or from a newer version.

    The message names the file and says what to do; the file is left untouched.
    """


class WebhookVerificationError(NanoBananaProError):
    """A webhook delivery failed verification; the message says which check failed."""


#: What a create's error says when the service may have made its task all the same.
_TASK_MAY_EXIST = "the task may exist anyway, and be billed: check list() before creating it again"


def say_task_may_exist(error: NanoBananaProError) -> None:
    """Word a failed create's error for a task that may exist: never "try again" alone.

    The error's hint is replaced: a 500's "try again later" would bill a second task. An
    answer off the spec that still names its task (`task_id`) says to wait for that one.
    """
    hint = _TASK_MAY_EXIST
    if error.task_id is not None:
        hint = f"it names task {error.task_id}, which may exist and be billed: wait() for it "
        hint += "rather than creating it again"
    rehint(error, hint)


def rehint(error: NanoBananaProError, hint: str) -> None:
    """Replace what an `APIError` or `APIConnectionError` says to do next (others: unchanged)."""
    if isinstance(error, APIError):
        error.args = (error._text(hint[0].upper() + hint[1:]),)
    elif isinstance(error, APIConnectionError):
        error.args = (error._text(hint),)


@contextlib.contextmanager
def about_task(task_id: str) -> Iterator[None]:
    """Attach `task_id` to any error of this package raised inside the block."""
    try:
        yield
    except NanoBananaProError as error:
        error.task_id = task_id
        raise


def _invalid_params(body: object) -> tuple[tuple[str, str], ...]:
    """`(name, reason)` pairs from either problem+json shape (top-level or under `problem`)."""
    if not isinstance(body, Mapping):
        return ()
    source: Any = body.get("problem") if isinstance(body.get("problem"), Mapping) else body
    params = source.get("invalid_params")
    if not isinstance(params, list):
        return ()
    return tuple(
        (str(item.get("name", "")), str(item.get("reason", "")))
        for item in params
        if isinstance(item, Mapping)
    )
