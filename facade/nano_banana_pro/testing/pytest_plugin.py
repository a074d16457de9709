"""pytest plugin: the `fake_magnific` fixture, a fresh `FakeMagnific` on a `VirtualClock`.

Registered under the `pytest11` entry point; it defines the fixture and nothing else.
"""

from __future__ import annotations

import pytest

from . import FakeMagnific

__all__ = ["fake_magnific"]


@pytest.fixture
def fake_magnific() -> FakeMagnific:
    """A fresh fake service (API key `test-key`, virtual clock, default schedule)."""
    return FakeMagnific()
