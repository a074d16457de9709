"""The regeneration pipeline and the distribution, exercised for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

VENV = REPO_ROOT / ".venv"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A throwaway git repo: the spec, the generator inputs and scripts, both generated layers."""
    if not (VENV / ".installed").exists():
        pytest.fail("run `make install` first: the pipeline test uses the project's .venv")
    copy = tmp_path / "repo"
    for name in ("openapi", "generated", "scripts", "facade"):
        shutil.copytree(REPO_ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPO_ROOT / name, copy / name)
    for args in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "copy"],
    ):
        assert run(args, copy).returncode == 0
    return copy


def check_generated(repo: Path) -> subprocess.CompletedProcess[str]:
    # -o: never rebuild the virtualenv stamp; VENV: the project's own, already installed.
    return run(["make", "-s", f"VENV={VENV}", "-o", f"{VENV}/.installed", "check-generated"], repo)


def test_check_generated_passes_on_a_synced_tree_and_regenerates_identical_bytes(
    repo_copy: Path,
) -> None:
    result = check_generated(repo_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "generated/, facade/nano_banana_pro/_spec.py and facade/nano_banana_pro/_sync/ match"
        in (result.stdout)
    )


@pytest.mark.parametrize("generated_file", ["_sync/client.py", "_sync/seam.py", "_spec.py"])
def test_a_one_character_hand_edit_of_the_facades_generated_code_fails_until_regenerated(
    repo_copy: Path, generated_file: str
) -> None:
    path = repo_copy / "facade/nano_banana_pro" / generated_file
    text = path.read_text()
    edited = text.replace("def ", "def  ", 1) if "def " in text else text.replace("=", "==", 1)
    assert edited != text
    path.write_text(edited)
    commit(repo_copy, "hand edit")
    failed = check_generated(repo_copy)
    assert failed.returncode != 0
    assert generated_file in failed.stdout
    commit(repo_copy, "regenerated")  # make generate, run by the check, restored the file
    assert check_generated(repo_copy).returncode == 0
    assert path.read_text() == text


def test_a_change_to_the_async_source_without_regenerating_fails(repo_copy: Path) -> None:
    source = repo_copy / "facade/nano_banana_pro/_async/client.py"
    source.write_text(source.read_text().replace("(default 600)", "(default: 600)"))
    commit(repo_copy, "async source changed")
    result = check_generated(repo_copy)
    assert result.returncode != 0
    assert "_sync/client.py" in result.stdout
    changed = "+        wait_timeout: Overall deadline of `wait()` and `generate()`, in seconds"
    assert f"{changed} (default: 600)" in result.stdout


def commit(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], repo)


def test_check_generated_fails_when_a_generated_file_is_deleted_and_not_restored_in_git(
    repo_copy: Path,
) -> None:
    (repo_copy / "generated/nano_banana_pro_api/models/task.py").unlink()
    run(["git", "add", "-A"], repo_copy)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "rm"], repo_copy)
    result = check_generated(repo_copy)
    assert result.returncode != 0
    assert "models/task.py" in result.stdout


def test_check_generated_fails_when_the_spec_changes_without_regenerating(repo_copy: Path) -> None:
    spec = repo_copy / "openapi/nano-banana-pro.yaml"
    spec.write_text(
        spec.read_text()
        .replace(
            "[CREATED, IN_PROGRESS, COMPLETED, FAILED]",
            "[CREATED, IN_PROGRESS, COMPLETED, FAILED, CANCELLED]",
        )
        .replace(
            "x-enum-varnames: [CREATED, IN_PROGRESS, COMPLETED, FAILED]",
            "x-enum-varnames: [CREATED, IN_PROGRESS, COMPLETED, FAILED, CANCELLED]",
        )
    )
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "spec"], repo_copy)
    result = check_generated(repo_copy)
    assert result.returncode != 0
    assert "task_status.py" in result.stdout
    assert '+    CANCELLED = "CANCELLED"' in result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built as pip builds it for an install."""
    folder = tmp_path_factory.mktemp("wheel")
    built = run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(folder),
            str(REPO_ROOT),
        ],
        REPO_ROOT,
    )
    assert built.returncode == 0, built.stderr
    (path,) = folder.glob("magnific_nano_banana_pro-*.whl")
    return path


def test_the_wheel_ships_both_packages_and_they_import(wheel: Path, tmp_path: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "nano_banana_pro/py.typed" in names
    assert "nano_banana_pro_api/py.typed" in names
    assert "nano_banana_pro_api/client.py" in names
    assert not [
        name for name in names if name.startswith(("facade/", "generated/", "tests/", "openapi/"))
    ]
    code = (
        f"import sys; sys.path.insert(0, {str(wheel)!r}); "
        "import nano_banana_pro, nano_banana_pro_api; "
        "print(nano_banana_pro.__file__); print(nano_banana_pro_api.__file__)"
    )
    imported = run([sys.executable, "-c", code], tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.count(str(wheel)) == 2


USER_CODE = """\
from nano_banana_pro import NanoBananaPro
from nano_banana_pro_api.models import TaskStatus


def status_of(client: NanoBananaPro, task_id: str) -> TaskStatus:
    return client.get(task_id).status
"""


def test_a_users_code_passes_mypy_strict_against_the_installed_wheel(
    wheel: Path, tmp_path: Path
) -> None:
    """Both packages are typed (PEP 561) where a user installs them: in site-packages."""
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path).returncode == 0
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site_packages = Path(run([str(python), "-c", purelib], tmp_path).stdout.strip())
    zipfile.ZipFile(wheel).extractall(site_packages)  # what installing a wheel amounts to
    # httpx and attrs, from the project's environment (its .pth files are not read from there).
    project_site = run([str(VENV / "bin" / "python"), "-c", purelib], tmp_path).stdout.strip()
    (site_packages / "dependencies.pth").write_text(project_site + "\n")
    (tmp_path / "user.py").write_text(USER_CODE)

    def mypy() -> subprocess.CompletedProcess[str]:
        command = [str(VENV / "bin" / "mypy"), "--strict", "--python-executable", str(python)]
        options = ["--no-incremental", "--cache-dir", str(tmp_path / ".mypy_cache")]
        env = {name: value for name, value in os.environ.items() if name != "MYPYPATH"}
        return subprocess.run(
            [*command, *options, "user.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    checked = mypy()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (site_packages / "nano_banana_pro_api" / "py.typed").unlink()
    untyped = mypy()  # the check bites: without the marker, mypy skips the package
    assert untyped.returncode != 0
    assert 'Skipping analyzing "nano_banana_pro_api.models"' in untyped.stdout
