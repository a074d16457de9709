"""Live contract (opt-in): the real API's answers against the spec.

Run with `MAGNIFIC_API_KEY=... .venv/bin/pytest -m live` (`make test` leaves it out). It creates
one task (billed: the cheapest resolution), then gets it and lists the tasks, through the
facade. Every request must match the spec, and every answer too; fields the spec does not
define are reported as warnings (the spec allows them, but they are news for the spec).
"""

from __future__ import annotations

import os
import warnings

import httpx
import pytest

from nano_banana_pro import NanoBananaPro
from tests.contract.validating import (
    DEFAULT_BASE_URL,
    SpecValidatingTransport,
    response_violations,
)

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not os.environ.get("MAGNIFIC_API_KEY"),
        reason="live contract test: set MAGNIFIC_API_KEY to run it against the real API",
    ),
]


class SpecDriftWarning(UserWarning):
    """The service sent something the spec does not describe (yet)."""


class RecordingTransport(httpx.BaseTransport):
    """A real HTTP transport that keeps every answer, read, for checking afterwards."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.responses: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        response.read()
        self.responses.append(response)
        return response

    def close(self) -> None:
        self._inner.close()


def test_create_get_and_list_answer_as_the_spec_says() -> None:
    base_url = os.environ.get("MAGNIFIC_BASE_URL") or DEFAULT_BASE_URL
    recorder = RecordingTransport()
    transport = SpecValidatingTransport(recorder, base_url=base_url)
    with NanoBananaPro(base_url=base_url, transport=transport, max_retries=0) as client:
        task = client.create("A small red cube on a white table", resolution="1K")
        client.get(task)
        client.list()

    report = []
    for response in recorder.responses:
        where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        mismatches = response_violations(response, strict=False)
        unknown_fields = [
            problem
            for problem in response_violations(response, strict=True)
            if problem not in mismatches
        ]
        if unknown_fields:
            warnings.warn(
                f"{where}: fields the spec lacks:\n" + "\n".join(unknown_fields),
                SpecDriftWarning,
                stacklevel=1,
            )
        report += [f"{where}: {problem}" for problem in mismatches]
    assert len(recorder.responses) == 3
    assert report == [], "the service answered what the spec does not allow:\n" + "\n".join(report)
