"""Fixtures of the reliability suite: both clients, a recognisable key, and a leak guard."""

from __future__ import annotations

import contextlib
import logging
import secrets
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

from nano_banana_pro import AsyncNanoBananaPro, NanoBananaPro
from nano_banana_pro.clock import VirtualClock
from nano_banana_pro.testing import FakeMagnific
from tests.client.conftest import AsyncDriven

#: A random key, recognisable wherever it leaks.
API_KEY = f"sk-reliability-{secrets.token_hex(16)}"
TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
PROMPT = "A suited raccoon smoking a pipe"
LOGGERS = ("nano_banana_pro", "httpx", "httpcore")
FUZZ = settings(max_examples=100, deadline=None, derandomize=True)
"""Property tests: bounded, reproducible (derandomized), no per-example deadline."""


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    """Which client the test drives: `NanoBananaPro` or `AsyncNanoBananaPro`."""
    param: str = request.param
    return param


def build_client(flavour: str, *, fake: FakeMagnific | None = None, **options: Any) -> Any:
    """The client under test: `NanoBananaPro`, or `AsyncNanoBananaPro` driven to completion.

    `fake=` wires it to a FakeMagnific in-process (the transport that fits the flavour); the
    key defaults to `API_KEY` and the clock to a fresh `VirtualClock`. Close it when done.
    """
    options.setdefault("api_key", API_KEY)
    options.setdefault("clock", VirtualClock())
    if flavour == "sync":
        if fake is not None:
            options["transport"] = fake.transport()
        return NanoBananaPro(**options)
    if fake is not None:
        options["transport"] = fake.async_transport()
    return AsyncDriven(AsyncNanoBananaPro(**options))


@contextlib.contextmanager
def client_for(flavour: str, **options: Any) -> Iterator[Any]:
    """`build_client` as a context manager (for property tests, which cannot use fixtures)."""
    client = build_client(flavour, **options)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def make_client(flavour: str) -> Iterator[Callable[..., Any]]:
    """A factory of clients under test (see `build_client`), all closed at teardown."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        made.append(build_client(flavour, **options))
        return made[-1]

    yield make
    for client in made:
        client.close()


class LeakGuard:
    """Asserts that the API key appears in no log record, exception or repr it is shown."""

    def __init__(self, caplog: pytest.LogCaptureFixture, key: str) -> None:
        self._caplog = caplog
        self._key = key

    def assert_clean(self, *shown: object) -> None:
        """Check the captured logs, and each object (exceptions with their whole chain)."""
        for where, text in self._texts(shown):
            assert self._key not in text, f"the API key leaked into {where}: {text[:300]!r}"

    def debug_records(self) -> int:
        """How many DEBUG records the package logged (proves logging was on)."""
        return sum(
            1
            for record in self._caplog.records
            if record.name == "nano_banana_pro" and record.levelno == logging.DEBUG
        )

    def _texts(self, shown: tuple[object, ...]) -> Iterator[tuple[str, str]]:
        yield "caplog.text", self._caplog.text
        for record in self._caplog.records:
            yield f"log record {record.name}", f"{record.getMessage()} {record.args!r}"
        for item in shown:
            if isinstance(item, BaseException):
                yield from _exception_texts(item)
            elif item is not None:
                yield f"str({type(item).__name__})", str(item)
                yield f"repr({type(item).__name__})", repr(item)


def _exception_texts(error: BaseException) -> Iterator[tuple[str, str]]:
    yield "the formatted traceback", "".join(traceback.format_exception(error))
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        name = type(current).__name__
        yield f"str({name})", str(current)
        yield f"repr({name})", repr(current)
        yield f"{name}.args", repr(current.args)
        pending.extend(
            linked for linked in (current.__cause__, current.__context__) if linked is not None
        )


@pytest.fixture
def leak_guard(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[LeakGuard]:
    """`MAGNIFIC_LOG=debug`, every client logger captured at DEBUG; logs checked at teardown.

    The stderr handler `MAGNIFIC_LOG` makes the package add is removed afterwards, so that later
    tests do not inherit a chatty logger.
    """
    package_logger = logging.getLogger("nano_banana_pro")
    handlers, level = list(package_logger.handlers), package_logger.level
    monkeypatch.setenv("MAGNIFIC_LOG", "debug")
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    guard = LeakGuard(caplog, API_KEY)
    yield guard
    package_logger.handlers[:] = handlers
    package_logger.setLevel(level)
    guard.assert_clean()
