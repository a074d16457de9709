"""Shared test helpers: the spec, loaded once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = REPO_ROOT / "openapi" / "nano-banana-pro.yaml"


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The OpenAPI document, as a plain dict."""
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (`@pytest.mark.anyio`) run on asyncio only."""
    return "asyncio"


@pytest.fixture(autouse=True)
def no_shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test learns from another through the user's cache file (tests of it set their own)."""
    monkeypatch.setenv("MAGNIFIC_CACHE_DIR", "")
