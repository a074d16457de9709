"""Checks of the text and URLs a request carries: valid Unicode, http(s) and GCS URLs."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

import httpx

from .errors import InvalidRequestError

__all__ = [
    "check_encodable",
    "checked_image_url",
    "checked_webhook_url",
    "image_url_problem",
    "unconnectable",
]

#: The longest DNS name, and the longest label of one (RFC 1035), in bytes.
_MAX_NAME, _MAX_LABEL = 253, 63

#: What an RFC 3986 URI may hold: unreserved and reserved characters, and %XX escapes.
_URI_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


def check_encodable(text: str, *, field: str) -> str:
    """`text` itself, once checked to be valid Unicode (it is sent as UTF-8).

    Raises:
        InvalidRequestError: it holds a lone surrogate (text decoded badly somewhere).
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidRequestError(
            field, f"is not valid Unicode (a lone surrogate at position {error.start})"
        ) from None
    return text


def checked_image_url(image: object, *, field: str) -> str:
    """An image URL: absolute http(s) with a host, or `gs://bucket/object`.

    Raises:
        InvalidRequestError: anything else.
    """
    url, parts = _split_url(image, field=field)
    is_gcs_path = parts.scheme == "gs" and bool(parts.netloc) and bool(parts.path.strip("/"))
    if not (is_gcs_path or _is_http_url(parts)):
        raise InvalidRequestError(
            field,
            f"must be an absolute http(s) URL with a host, or gs://bucket/object, got {url!r}",
        )
    return url


def checked_webhook_url(webhook_url: object) -> str:
    """A webhook URL: absolute http(s) with a host, only URI characters.

    Raises:
        InvalidRequestError: anything else.
    """
    url, parts = _split_url(webhook_url, field="webhook_url")
    if not _is_http_url(parts):
        raise InvalidRequestError(
            "webhook_url", f"must be an absolute http(s) URL with a host, got {url!r}"
        )
    if not _URI_CHARACTERS.fullmatch(url):
        raise InvalidRequestError(
            "webhook_url",
            f"holds characters a URI cannot (RFC 3986): percent-encode them, and write an "
            f"international host name in its xn-- form; got {url!r}",
        )
    return url


def image_url_problem(url: httpx.URL) -> str | None:
    """Why an image URL is not fetched (a download's, or a redirect's), or None when it is."""
    if url.scheme not in ("http", "https") or not url.raw_host:
        return "only http(s) image URLs are fetched"
    return unconnectable(url)


def unconnectable(url: httpx.URL) -> str | None:
    """Why no connection can be made to a parsed URL's host and port, or None when one can.

    httpx parses such URLs, then fails deep in the connection with whatever the layer below
    raises (an `IDNAError`, an `OverflowError` in an exception group): checked here instead.
    """
    try:
        host = url.host  # an xn-- host is decoded here: it may not decode
    except ValueError as error:  # idna's errors are UnicodeErrors
        return f"its host is not a valid name ({error})"
    if url.port is not None and not 0 < url.port < 2**16:
        return f"its port {url.port} is out of range (1 to 65535)"
    if ":" not in host:  # a name or an IPv4 address, not an IPv6 one
        labels = url.raw_host.rstrip(b".").split(b".")
        if len(url.raw_host) > _MAX_NAME or not all(0 < len(x) <= _MAX_LABEL for x in labels):
            return "its host is not a valid name (dot-separated labels of 1 to 63 characters)"
    return None


def _is_http_url(parts: SplitResult) -> bool:
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _split_url(url: object, *, field: str) -> tuple[str, SplitResult]:
    if not isinstance(url, str):
        raise InvalidRequestError(field, f"must be a URL string, got {type(url).__name__}")
    check_encodable(url, field=field)
    if any(character.isspace() for character in url):
        raise InvalidRequestError(field, f"a URL has no whitespace (encode spaces as %20): {url!r}")
    try:
        return url, urlsplit(url)
    except ValueError as error:
        raise InvalidRequestError(field, f"is not a valid URL ({error}): {url!r}") from None
