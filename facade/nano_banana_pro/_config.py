"""Defaults and environment variables, in one place."""

from __future__ import annotations

import os

import httpx

from ._checks import is_positive_number
from ._ratelimit import RateLimit, RateWindow
from ._url_checks import unconnectable
from ._version import __version__
from .errors import InvalidRequestError

DEFAULT_BASE_URL = "https://api.magnific.com"
#: Connect within 10 s; every other phase (read, write, pool) within 30 s. An API request is
#: also done within the longest of them overall (30 s), whatever the server does.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: An image download is done within this many seconds overall, however slowly it trickles.
DOWNLOAD_DEADLINE = 300.0
#: The largest API answer read, in bytes as sent: a list of 100,000 tasks is about 10 MB; a
#: server that sends more (or for ever) gets an `APIResponseValidationError`, not the memory.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: Retries per call (a create only when the service certainly did not act on it).
DEFAULT_MAX_RETRIES = 2
#: Seconds before the first retry (before jitter); it doubles per retry up to the cap.
DEFAULT_INITIAL_BACKOFF = 0.5
DEFAULT_MAX_BACKOFF = 8.0
#: A server's `Retry-After` is honoured up to this many seconds.
DEFAULT_RETRY_AFTER_CAP = 60.0
#: Overall deadline of `wait()` and `generate()`, in seconds.
DEFAULT_WAIT_TIMEOUT = 600.0
#: The client's budget: the service's per-IP windows (250 requests in any 5 s, 1,200 in any
#: 120 s) with a few percent fewer requests and a fraction of a second more, for latency jitter
#: and clock skew (measured: zero 429s from the fake's exact windows).
DEFAULT_RATE_WINDOWS = (
    RateWindow(requests=240, seconds=5.2),
    RateWindow(requests=1170, seconds=120.5),
)
#: Client-side rate limit, shared by all calls of a client (see `RateLimit`).
DEFAULT_RATE_LIMIT = RateLimit(windows=DEFAULT_RATE_WINDOWS)

#: Where the API's own paths start; a base URL ends before it.
_API_PATH_ROOT = "/v1"

ENV_API_KEY = "MAGNIFIC_API_KEY"
ENV_BASE_URL = "MAGNIFIC_BASE_URL"
ENV_LOG = "MAGNIFIC_LOG"
#: Where learned completion times are kept between runs; an empty value turns that off.
ENV_CACHE_DIR = "MAGNIFIC_CACHE_DIR"
API_KEY_HEADER = "x-magnific-api-key"


def user_agent() -> str:
    """The User-Agent sent with every request: the package and its version."""
    return f"magnific-nano-banana-pro/{__version__} httpx/{httpx.__version__}"


def given_api_key(api_key: str | None) -> str | None:
    """The key given, else `MAGNIFIC_API_KEY`, as it is (None when neither is set)."""
    return api_key if api_key is not None else os.environ.get(ENV_API_KEY)


def normalise_api_key(key: str) -> str:
    """The key as the client sends it: without surrounding whitespace (a `.env` newline)."""
    return key.strip()


def resolve_api_key(api_key: str | None) -> str:
    """The key given, else `MAGNIFIC_API_KEY`, normalised (`normalise_api_key`).

    Raises:
        InvalidRequestError: neither is set, the key is blank, or it holds characters no
            API key has (an HTTP header could not carry it).
    """
    key = given_api_key(api_key)
    if key is not None and not isinstance(key, str):
        raise InvalidRequestError("api_key", f"must be a string, got {type(key).__name__}")
    if not key or not normalise_api_key(key):
        raise InvalidRequestError(
            "api_key",
            f"no API key: pass api_key=... or set {ENV_API_KEY} "
            "(for offline use, run `nano-banana-pro fake-server` and point "
            f"{ENV_BASE_URL} at it with any key)",
        )
    key = normalise_api_key(key)
    if not all("!" <= character <= "~" for character in key):
        # Never quote the key: it would end up in logs.
        raise InvalidRequestError(
            "api_key",
            "holds spaces, control or non-ASCII characters: copy the key again, without them",
        )
    return key


def resolve_base_url(base_url: str | None) -> str:
    """The URL given, else `MAGNIFIC_BASE_URL`, else the production URL.

    It is the API's root (or a proxy's): the client adds the paths (`/v1/ai/...`) itself.

    Raises:
        InvalidRequestError: the URL is not an absolute http(s) URL, or it holds the API's own
            path (`https://api.magnific.com/v1`, as OpenAI-style clients take it).
    """
    if base_url is not None and not isinstance(base_url, str):
        raise InvalidRequestError(
            "base_url", f"must be a URL string, got {type(base_url).__name__}"
        )
    url = base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise InvalidRequestError("base_url", f"is not a valid URL ({error})") from None
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise InvalidRequestError(
            "base_url", f"must be an absolute http(s) URL such as {DEFAULT_BASE_URL}, got {url!r}"
        )
    problem = unconnectable(parsed)
    if problem is not None:
        raise InvalidRequestError("base_url", f"{problem}, got {url!r}")
    path = parsed.path.rstrip("/")
    if path.endswith(_API_PATH_ROOT) or f"{_API_PATH_ROOT}/ai/" in f"{path}/":
        raise InvalidRequestError(
            "base_url",
            f"holds the API's own path ({path!r}): drop {_API_PATH_ROOT} and what follows, the "
            f"client adds the API's paths itself (for example {DEFAULT_BASE_URL}), got {url!r}",
        )
    return url.rstrip("/")


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """An `httpx.Timeout` from a number of seconds, a Timeout, or None for the default.

    Raises:
        InvalidRequestError: not a positive, finite number of seconds (nor a Timeout).
    """
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(check_seconds(timeout, field="timeout"))


def check_seconds(seconds: object, *, field: str) -> float:
    """A duration, once checked: a positive, finite number (not a bool).

    Raises:
        InvalidRequestError: anything else (0, a negative number, NaN, infinity, a string...).
    """
    if not is_positive_number(seconds):
        raise InvalidRequestError(
            field, f"must be a positive, finite number of seconds, got {seconds!r}"
        )
    return float(seconds)


def check_max_retries(max_retries: int) -> int:
    """`max_retries` itself, once checked.

    Raises:
        InvalidRequestError: it is negative or not an integer.
    """
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise InvalidRequestError("max_retries", f"must be an integer >= 0, got {max_retries!r}")
    return max_retries
