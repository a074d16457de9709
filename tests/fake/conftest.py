"""Fixtures for the fake's tests: the plugin's `fake_magnific`, and a client wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from nano_banana_pro.testing import FakeMagnific, pytest_plugin
from tests.fake.helpers import BASE_URL, KEY

# The plugin's fixture, whether or not its pytest11 entry point is installed.
fake_magnific = pytest_plugin.fake_magnific


@pytest.fixture
def http(fake_magnific: FakeMagnific) -> Iterator[httpx.Client]:
    """A plain httpx client sending the right key to the fake, in-process."""
    with httpx.Client(
        base_url=BASE_URL, headers={"x-magnific-api-key": KEY}, transport=fake_magnific.transport()
    ) as client:
        yield client
