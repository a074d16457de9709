"""Checks of the text and URLs a request carries: valid Unicode, http(s) and GCS URLs."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from .errors import InvalidRequestError

__all__ = ["check_encodable", "checked_image_url", "checked_webhook_url"]

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
