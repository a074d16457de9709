"""Every Python example in README.md and CONTRIBUTING.md runs against the fake service over real
HTTP, and passes `mypy --strict`; the README stays short and starts with code."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from nano_banana_pro.testing import FakeMagnific, Schedule
from tests.conftest import REPO_ROOT

README = "README.md"
CONTRIBUTING = "CONTRIBUTING.md"
MAX_README_LINES = 252
MYPY = REPO_ROOT / ".venv" / "bin" / "mypy"
#: The code of the first Python example must start before this line of the README (1-based).
FIRST_CODE_BEFORE_LINE = 40
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


class Block(NamedTuple):
    """One ```python block: its file, its index there, the line its code starts on, the code."""

    file: str
    index: int
    line: int
    code: str

    @property
    def name(self) -> str:
        """`README.md-block0`: which file and which block, for test ids and messages."""
        return f"{self.file}-block{self.index}"


def blocks_of(file: str) -> list[Block]:
    text = (REPO_ROOT / file).read_text(encoding="utf-8")
    return [
        Block(file, index, text.count("\n", 0, match.start()) + 2, match.group(1))
        for index, match in enumerate(_BLOCK.finditer(text))
    ]


README_BLOCKS = blocks_of(README)
BLOCKS = README_BLOCKS + blocks_of(CONTRIBUTING)


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
    assert len(README_BLOCKS) >= 6


def test_contributing_has_examples() -> None:
    assert len(BLOCKS) > len(README_BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_an_example_runs(block: Block, fake_service: FakeMagnific, tmp_path: Path) -> None:
    namespace: dict[str, object] = {"__name__": "readme_example"}
    # Padded so that a traceback points at the line of the Markdown file.
    source = "\n" * (block.line - 1) + block.code
    exec(compile(source, block.file, "exec"), namespace)  # raises if the example is broken
    for name, function in list(namespace.items()):
        if name.startswith("test_") and callable(function):
            function(FakeMagnific(), tmp_path / name)
    if "NanoBananaPro()" in block.code:  # configured from the environment: it used the fake
        assert fake_service.count(method="POST") >= 1


def test_every_example_passes_mypy_strict(tmp_path: Path) -> None:
    """One mypy run over all the blocks, each written to its own module."""
    if not MYPY.exists():
        pytest.fail("run `make install` first: this test uses the project's .venv")
    paths = []
    for block in BLOCKS:
        module = re.sub(r"\W", "_", block.name.lower())
        path = tmp_path / f"{module}.py"
        path.write_text(block.code, encoding="utf-8")
        paths.append(path)
    checked = subprocess.run(
        [
            str(MYPY),
            "--config-file",
            "pyproject.toml",
            "--strict",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            *map(str, paths),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "MYPYPATH": os.pathsep.join(["facade", "generated"])},
        capture_output=True,
        text=True,
        check=False,
    )
    report = (checked.stdout + checked.stderr).replace(str(tmp_path) + os.sep, "")
    assert checked.returncode == 0, report


def test_the_readme_is_at_most_about_250_lines() -> None:
    lines = (REPO_ROOT / README).read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES


def test_the_readme_starts_with_code_before_line_40() -> None:
    assert README_BLOCKS[0].line < FIRST_CODE_BEFORE_LINE


def test_the_quickstart_is_under_15_lines() -> None:
    quickstart = README_BLOCKS[0].code
    assert "generate" in quickstart
    assert len(quickstart.strip().splitlines()) < 15


def test_the_reliability_section_states_the_suites_own_fault_count() -> None:
    from tests.reliability.faults import FAULTS

    stated = re.search(r"\*\*(\d+) faults\*\*", (REPO_ROOT / CONTRIBUTING).read_text())
    assert stated is not None
    assert int(stated.group(1)) == len(FAULTS)


def test_nothing_says_to_install_from_pypi_by_name() -> None:
    """It is not on PyPI: every install instruction is from a checkout."""
    readme = (REPO_ROOT / README).read_text(encoding="utf-8")
    assert "not on PyPI" in readme
    sources = [REPO_ROOT / README, REPO_ROOT / CONTRIBUTING, REPO_ROOT / "pyproject.toml"]
    sources += sorted((REPO_ROOT / "facade").rglob("*.py"))
    by_name = re.compile(r"pip install [\"']?magnific-nano-banana-pro")
    assert [str(path) for path in sources if by_name.search(path.read_text("utf-8"))] == []


def test_the_readme_says_what_is_known_of_each_resolution() -> None:
    from nano_banana_pro import Resolution

    readme = " ".join((REPO_ROOT / README).read_text(encoding="utf-8").split())
    unexplained = [member for member in Resolution if "not explained" in member.description]
    assert {str(member) for member in unexplained} == {"low", "medium", "high"}
    assert "`low medium high`: accepted by the API, not explained upstream" in readme


def test_the_readme_says_which_webhook_secrets_verify() -> None:
    readme = " ".join((REPO_ROOT / README).read_text(encoding="utf-8").split())
    assert "each reading of the secret" in readme
    assert "base64 after `whsec_`, padded or not, or UTF-8" in readme
