"""The fake held to the spec by schemathesis, over real HTTP (`FakeMagnific.serve()`).

Schemathesis generates requests from `openapi/nano-banana-pro.yaml` (the examples, boundary
values, valid and invalid data) and runs all its checks on each answer: status code, content
type, headers and body conformance, invalid data rejected with a 4xx, valid data accepted,
a missing key refused, no server error. Any mismatch fails the test. The run is bounded and
derandomized (no example database), so it is fast and reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis

from nano_banana_pro.testing import FakeMagnific
from tests.contract.conftest import KEY
from tests.contract.validating import SPEC_PATH

pytestmark = pytest.mark.contract

MAX_EXAMPLES = 40

schema = schemathesis.openapi.from_path(SPEC_PATH)
schema.config.update(headers={"x-magnific-api-key": KEY})
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
)


@pytest.fixture(scope="module")
def fake_base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The fake over HTTP; once the run is over, checks that it exercised every operation."""
    fake = FakeMagnific(api_key=KEY)
    failed_before = request.session.testsfailed
    with fake.serve() as base_url:
        yield base_url
    if request.session.testsfailed > failed_before:
        return  # a failing run stops early: its failures say more than what it missed
    answered = {(recorded.operation, recorded.status) for recorded in fake.requests}
    expected = {("create", 200), ("create", 400), ("create", 401), ("get", 404), ("list", 200)}
    assert expected <= answered, f"the run missed {expected - answered}"


@schema.parametrize()
def test_the_fake_answers_as_the_spec_says(
    case: schemathesis.Case[Any], fake_base_url: str
) -> None:
    case.call_and_validate(base_url=fake_base_url)
