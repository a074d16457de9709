"""The fake's request log: what arrived and what it answered, the API key redacted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from ._http import FakeRequest

__all__ = ["RecordedRequest", "record"]

_REDACTED_HEADERS = frozenset({"x-magnific-api-key", "x-freepik-api-key", "authorization"})


@attrs.frozen(kw_only=True)
class RecordedRequest:
    """One request the fake received (the API key is never kept).

    Attributes:
        method: The HTTP method.
        path: The path as sent (percent-encoded), without the query string.
        operation: `create`, `get`, `list`, `image`, or `other` (an unknown path or method).
        headers: The headers, names in lower case; API key headers read `[redacted]`.
        json: The parsed JSON body, or None when there was none or it was not JSON.
        status: The status answered, or None when the connection was dropped.
        fault: The fault applied (`fail`, `drop`, `delay`), or None.
        at: The clock's time when it arrived.
    """

    method: str
    path: str
    operation: str
    headers: Mapping[str, str]
    json: Any
    status: int | None
    fault: str | None
    at: float


def record(
    request: FakeRequest, *, operation: str, status: int | None, fault: str | None, at: float
) -> RecordedRequest:
    """The log entry of `request`, with API key headers redacted."""
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError:
        body = None
    return RecordedRequest(
        method=request.method,
        path=request.raw_path,
        operation=operation,
        headers={
            name: "[redacted]" if name in _REDACTED_HEADERS else value
            for name, value in request.headers.items()
        },
        json=body,
        status=status,
        fault=fault,
        at=at,
    )
