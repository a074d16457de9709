"""Every Python example in the README runs, against the fake service over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from nano_banana_pro.testing import FakeMagnific, Schedule
from tests.conftest import REPO_ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.DOTALL)


@pytest.fixture
def fake_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeMagnific]:
    fake = FakeMagnific(schedule=Schedule(in_progress_after=0.0, complete_after=0.0))
    with fake.serve() as base_url:
        monkeypatch.setenv("MAGNIFIC_API_KEY", "test-key")
        monkeypatch.setenv("MAGNIFIC_BASE_URL", base_url)
        monkeypatch.setenv("MAGNIFIC_WEBHOOK_SECRET", "readme-secret")
        monkeypatch.chdir(tmp_path)
        yield fake


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 7


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_a_readme_example_runs(code: str, fake_service: FakeMagnific, tmp_path: Path) -> None:
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(code, "README.md", "exec"), namespace)  # raises if the example is broken
    for name, function in list(namespace.items()):
        if name.startswith("test_") and callable(function):
            function(FakeMagnific(), tmp_path / name)
    if "NanoBananaPro()" in code:  # configured from the environment: it must have used the fake
        assert fake_service.count(method="POST") >= 1


def test_the_quickstart_is_under_15_lines() -> None:
    quickstart = BLOCKS[0]
    assert "generate" in quickstart
    assert len(quickstart.strip().splitlines()) < 15


def test_the_reliability_section_states_the_suites_own_fault_count() -> None:
    from tests.reliability.faults import FAULTS

    stated = re.search(r"\*\*(\d+) faults\*\*", (REPO_ROOT / "README.md").read_text())
    assert stated is not None
    assert int(stated.group(1)) == len(FAULTS)
