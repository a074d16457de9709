"""Drive NanoBananaPro and AsyncNanoBananaPro through the same tests, over a scripted transport."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from nano_banana_pro import AsyncNanoBananaPro, NanoBananaPro
from nano_banana_pro.clock import VirtualClock
from tests.contract.validating import SpecValidatingTransport

API_KEY = "sk-test-5f1d8a7c2b9e4e06b3a1"
BASE_URL = "https://api.magnific.com"
TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
OTHER_ID = "8d3c1f8e-2f0a-4b8e-9a51-0c7c1f0b5e22"
TASKS_PATH = "/v1/ai/text-to-image/nano-banana-pro"
IMAGE_URL = "https://ai-statics.freepik.com/completed_task_image.png"
#: Fields the tests of `extra_body=` send beside the spec's.
EXTRA_FIELDS = frozenset({"guidance_scale", "style", "tags", "use_google_search_tool"})

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def task_body(status: str = "IN_PROGRESS", generated: list[str] | None = None) -> dict[str, Any]:
    return {"data": {"task_id": TASK_ID, "status": status, "generated": generated or []}}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


class ScriptedServer:
    """Answers each request from a script (per method), and records every request.

    A script entry is a response, an exception to raise, or a function of the request. When a
    script runs out, its last entry repeats.
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.scripts: dict[str, list[Answer]] = {}

    def on(self, key: str, *answers: Answer) -> None:
        """Script the answers for `key`: "POST", "GET" (API) or "IMAGE" (image host)."""
        self.scripts[key] = list(answers)

    def count(self, key: str) -> int:
        return sum(1 for request in self.requests if _key_of(request) == key)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        script = self.scripts.get(_key_of(request))
        if not script:
            raise AssertionError(f"unscripted request {request.method} {request.url}")
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return httpx.Response(
                answer.status_code,
                headers=answer.headers,
                content=answer.content,
                request=request,
            )
        return answer(request)


def _key_of(request: httpx.Request) -> str:
    if not request.url.path.startswith(TASKS_PATH):
        return "IMAGE"
    return request.method


class AsyncDriven:
    """Runs an AsyncNanoBananaPro's coroutines to completion, so sync tests can drive it."""

    def __init__(self, client: AsyncNanoBananaPro) -> None:
        self._client = client
        self._runner = asyncio.Runner()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if inspect.iscoroutinefunction(attribute):
            return lambda *args, **kwargs: self._runner.run(attribute(*args, **kwargs))
        return attribute

    def __repr__(self) -> str:
        return repr(self._client)

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()


@pytest.fixture
def server() -> ScriptedServer:
    return ScriptedServer()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture(params=["sync", "async"])
def make_client(
    request: pytest.FixtureRequest, server: ScriptedServer, clock: VirtualClock
) -> Iterator[Callable[..., Any]]:
    """Build the client under test (sync or async) on the scripted server and virtual clock."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("api_key", API_KEY)
        options.setdefault("clock", clock)
        # Every API request the facade sends must match the spec (images go to other hosts),
        # but for the fields a test sends on purpose with `extra_body=`.
        transport = SpecValidatingTransport(
            httpx.MockTransport(server.handle),
            base_url=options.get("base_url", BASE_URL),
            extra_fields=EXTRA_FIELDS,
        )
        if request.param == "sync":
            client: Any = NanoBananaPro(transport=transport, **options)
        else:
            client = AsyncDriven(AsyncNanoBananaPro(transport=transport, **options))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    return make_client()


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)
