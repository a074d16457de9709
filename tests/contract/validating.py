"""Hold HTTP traffic to `openapi/nano-banana-pro.yaml` with openapi-core.

`SpecValidatingTransport` wraps any httpx transport (sync, async or both) and fails the test,
by raising `SpecViolationError`, when a request to the API does not match the spec: method, path,
security header, content type or body. Requests to other hosts (the image CDN) pass unchecked.
The functions below check one request, one answer or one webhook delivery and return what does
not match, empty when everything does. Any host serves the API (the fake, Prism, production),
at the root of its paths.

Strict by default: a field the spec does not define counts as a violation (openapi-core's
`additional_properties_default_policy="forbid"`), so neither the facade nor the fake can invent one.
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.templating.paths.finders import APICallPathFinder
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = [
    "DEFAULT_BASE_URL",
    "SPEC_PATH",
    "SpecValidatingTransport",
    "SpecViolationError",
    "describe",
    "loaded_spec",
    "operation_id",
    "request_violations",
    "response_violations",
    "webhook_violations",
]

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "nano-banana-pro.yaml"
DEFAULT_BASE_URL = "https://api.magnific.com"
WEBHOOK_NAME = "task-status-changed"


class SpecViolationError(AssertionError):
    """HTTP traffic that does not match the spec.

    An AssertionError, which the facade never catches (it catches httpx and its own errors), so
    the test fails where the request was sent.
    """


@functools.cache
def loaded_spec(*, strict: bool = True) -> OpenAPI:
    """The spec, loaded once, on any host.

    Args:
        strict: Treat a field the spec does not define as an error.
    """
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    # A relative server matches the path whatever the host: the fake, Prism or production.
    document["servers"] = [{"url": "/"}]
    config = Config(
        additional_properties_default_policy="forbid" if strict else "allow",
        # openapi-core reads only `application/json` (and a few others) as JSON.
        extra_media_type_deserializers={"application/problem+json": json_loads},
    )
    return OpenAPI.from_dict(document, config=config)


# -- adapters: httpx objects as openapi-core's Request, Response and WebhookRequest protocols


def _headers(headers: httpx.Headers | Mapping[str, str]) -> Headers:
    items = headers.multi_items() if isinstance(headers, httpx.Headers) else headers.items()
    return Headers(list(items))


class HttpxOpenAPIRequest:
    """An `httpx.Request` (already read) as openapi-core's `Request` protocol."""

    def __init__(self, request: httpx.Request) -> None:
        url = request.url
        self.host_url = f"{url.scheme}://{url.netloc.decode('ascii')}"
        # The raw path: a percent-encoded `/` in a task id stays inside its segment.
        self.path = url.raw_path.decode("ascii").partition("?")[0]
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(urllib.parse.parse_qsl(url.query.decode("ascii"))),
            header=_headers(request.headers),
            cookie=ImmutableMultiDict(),
        )


class HttpxOpenAPIResponse:
    """An `httpx.Response` (already read) as openapi-core's `Response` protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = _headers(response.headers)
        self.data: bytes | None = response.content


class WebhookOpenAPIRequest:
    """One webhook delivery (headers and raw body) as openapi-core's `WebhookRequest` protocol."""

    def __init__(self, headers: Mapping[str, str], body: bytes, *, name: str = WEBHOOK_NAME):
        self.name = name
        self.method = "post"
        self.body: bytes | None = body
        self.content_type = next(
            (value for key, value in headers.items() if key.lower() == "content-type"), ""
        )
        self.parameters = RequestParameters(header=_headers(headers))


# -- checks ---------------------------------------------------------------------------------------


def describe(errors: Iterable[BaseException]) -> list[str]:
    """One line per error, with the JSON Schema details openapi-core keeps in `__cause__`."""
    lines = []
    for error in errors:
        details = []
        cause: BaseException | None = error
        while cause is not None:
            details += [
                f"{'/'.join(map(str, schema_error.absolute_path)) or '<root>'}: "
                f"{schema_error.message}"
                for schema_error in getattr(cause, "schema_errors", ())
            ]
            cause = cause.__cause__
        summary = f"{type(error).__name__}: {error}"
        if details:  # then the error's own text repeats them, with the whole value: keep its name
            name = getattr(error, "name", None)
            summary = type(error).__name__ + ("" if name is None else f" {name!r}")
        lines.append(summary + "".join(f"\n    {detail}" for detail in details))
    return lines


def request_violations(request: httpx.Request) -> list[str]:
    """What in `request` (already read) does not match the spec; empty when it all does."""
    problems = describe(loaded_spec().iter_request_errors(HttpxOpenAPIRequest(request)))
    if problems:
        return problems
    # openapi-core accepts an empty segment for a string path parameter (`/tasks/` as the task
    # ""), but no server routes it to the operation: count it as a violation.
    variables = _find_operation(request).path_result.variables
    return [f"empty path parameter {name!r}" for name, value in variables.items() if not value]


def response_violations(response: httpx.Response, *, strict: bool = True) -> list[str]:
    """What in `response` (already read) does not match the spec for its request.

    Args:
        response: The answer; its `request` finds the operation.
        strict: Count fields the spec does not define as violations.
    """
    errors = loaded_spec(strict=strict).iter_response_errors(
        HttpxOpenAPIRequest(response.request), HttpxOpenAPIResponse(response)
    )
    return describe(errors)


def webhook_violations(headers: Mapping[str, str], body: bytes) -> list[str]:
    """What in one webhook delivery does not match the spec's `webhooks` section."""
    return describe(loaded_spec().iter_webhook_request_errors(WebhookOpenAPIRequest(headers, body)))


def operation_id(request: httpx.Request) -> str:
    """The spec's operationId for `request`.

    Raises:
        openapi_core.templating.paths.exceptions.PathError: no operation matches.
    """
    return str(_find_operation(request).operation["operationId"])


@functools.cache
def _path_finder() -> APICallPathFinder:
    return APICallPathFinder(loaded_spec().spec)


def _find_operation(request: httpx.Request) -> PathOperationServer:
    adapted = HttpxOpenAPIRequest(request)
    return _path_finder().find(adapted.method, adapted.host_url + adapted.path)


# -- the transport ---------------------------------------------------------------------------------


def _without(request: httpx.Request, fields: frozenset[str]) -> httpx.Request:
    """`request` with the top-level JSON body `fields` removed (what `extra_body` added)."""
    if not fields or not request.content:
        return request
    body = {k: v for k, v in json.loads(request.content).items() if k not in fields}
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    return httpx.Request(request.method, request.url, headers=headers, json=body)


class SpecValidatingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Checks every API request against the spec before `inner` answers it.

    A request is an API request when its URL is under `base_url` (the client's), unless
    `unchecked` says otherwise (the fake serves its images on the API's origin). Works for sync
    and async clients, as far as `inner` does. `extra_fields` are body fields a test sent on
    purpose (`extra_body=`): they are left out of the check, the rest of the body is not.

    Attributes:
        operations: The operationId of every API request, in order.
        violations: Every violation found (also raised, as `SpecViolationError`).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | httpx.AsyncBaseTransport,
        *,
        base_url: str = DEFAULT_BASE_URL,
        unchecked: Callable[[httpx.Request], bool] = lambda request: False,
        extra_fields: frozenset[str] = frozenset(),
    ) -> None:
        self._inner = inner
        self._base_url = base_url.rstrip("/")
        self._unchecked = unchecked
        self._extra_fields = extra_fields
        self.operations: list[str] = []
        self.violations: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Check `request`, then let the wrapped transport answer it.

        Raises:
            SpecViolationError: the request does not match the spec.
        """
        if not isinstance(self._inner, httpx.BaseTransport):
            raise TypeError(f"{self._inner!r} is not a sync transport")
        request.read()
        self._check(request)
        return self._inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check `request`, then let the wrapped transport answer it.

        Raises:
            SpecViolationError: the request does not match the spec.
        """
        if not isinstance(self._inner, httpx.AsyncBaseTransport):
            raise TypeError(f"{self._inner!r} is not an async transport")
        await request.aread()
        self._check(request)
        return await self._inner.handle_async_request(request)

    def close(self) -> None:
        """Close the wrapped transport."""
        if isinstance(self._inner, httpx.BaseTransport):
            self._inner.close()

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        if isinstance(self._inner, httpx.AsyncBaseTransport):
            await self._inner.aclose()

    def _check(self, request: httpx.Request) -> None:
        url = str(request.url)
        if not url.startswith(self._base_url + "/") or self._unchecked(request):
            return
        problems = request_violations(_without(request, self._extra_fields))
        if problems:
            self.violations += problems
            raise SpecViolationError(
                f"{request.method} {url} does not match {SPEC_PATH.name}:\n" + "\n".join(problems)
            )
        self.operations.append(operation_id(request))
