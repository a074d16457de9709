"""Requests and answers as the fake sees them, whatever carries them (httpx transport or server)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["FakeRequest", "Outcome", "Reply", "bytes_reply", "html_reply", "json_reply"]


@attrs.frozen(kw_only=True)
class FakeRequest:
    """One request that reached the fake.

    Attributes:
        method: The HTTP method, upper case.
        raw_path: The path as sent (percent-encoded), without the query string.
        headers: The headers, names in lower case.
        body: The raw body.
        origin: `scheme://host[:port]` the request was addressed to; image URLs use it.
    """

    method: str
    raw_path: str
    headers: Mapping[str, str]
    body: bytes
    origin: str


@attrs.frozen(kw_only=True)
class Reply:
    """An HTTP answer: status, headers (with Content-Type and Content-Length) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@attrs.frozen(kw_only=True)
class Outcome:
    """What the carrier must do with a request.

    Attributes:
        reply: The answer to send, or None to drop the connection without answering.
        delay: Seconds to wait on the clock before answering (or dropping).
    """

    reply: Reply | None
    delay: float = 0.0


def json_reply(
    status: int,
    payload: Any,
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """A JSON answer."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return bytes_reply(status, body, content_type=content_type, headers=headers)


def html_reply(status: int, title: str, *, headers: Mapping[str, str] | None = None) -> Reply:
    """An HTML error page, as a gateway in front of the service would send."""
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return bytes_reply(
        status, page.encode("utf-8"), content_type="text/html; charset=utf-8", headers=headers
    )


def bytes_reply(
    status: int, body: bytes, *, content_type: str, headers: Mapping[str, str] | None = None
) -> Reply:
    """An answer with `body` as is."""
    return Reply(
        status=status,
        headers={
            **(headers or {}),
            "content-type": content_type,
            "content-length": str(len(body)),
        },
        body=body,
    )
