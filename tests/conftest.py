"""Shared test helpers: the spec, loaded once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

# No test reads or writes the user's cache file, nor learns from another through it: set
# before any test module is imported, so that module-level and module-scoped clients (and the
# CLI's subprocesses) are covered too. Tests of the cache set their own with monkeypatch.
os.environ["MAGNIFIC_CACHE_DIR"] = ""

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
