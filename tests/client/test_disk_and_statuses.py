"""The disk as it is (full, limited, the user's umask) and the statuses that end a task."""

from __future__ import annotations

import errno
import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

import nano_banana_pro._download
from nano_banana_pro import OutputError, Task, TaskFailedError
from nano_banana_pro.cli import ExitCode
from nano_banana_pro.clock import SystemClock
from nano_banana_pro.task import TaskStatus
from nano_banana_pro.testing import FakeMagnific, Schedule
from tests.client.conftest import (
    IMAGE_URL,
    TASK_ID,
    ScriptedServer,
    json_response,
    task_body,
)
from tests.client.test_download import completed, image


class _FullDisk:
    """A file whose writes fail as on a full disk."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.name = handle.name

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    real = nano_banana_pro._download.open_temporary
    monkeypatch.setattr(
        nano_banana_pro._download,
        "open_temporary",
        lambda target, *, suffix: _FullDisk(real(target, suffix=suffix)),
    )


@pytest.mark.usefixtures("full_disk")
def test_a_full_disk_is_an_output_error_naming_the_file_and_the_task(
    client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    server.on("IMAGE", image())
    with pytest.raises(OutputError, match="No space left on device") as caught:
        client.download(completed(), tmp_path)
    assert caught.value.task_id == TASK_ID
    assert caught.value.path == str(tmp_path / f"{TASK_ID}_0.png")
    assert list(tmp_path.iterdir()) == []  # nothing left behind


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_downloaded_image_gets_the_users_permissions(
    client: Any, server: ScriptedServer, tmp_path: Path, umask: int, mode: int
) -> None:
    server.on("IMAGE", image())
    previous = os.umask(umask)
    try:
        [path] = client.download(completed(), tmp_path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def _small_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process


@pytest.fixture
def big_image_server() -> Iterator[tuple[str, str]]:
    fake = FakeMagnific(
        api_key=None,
        clock=SystemClock(),
        schedule=Schedule(in_progress_after=0.0, complete_after=0.0),
        image_min_bytes=200_000,
    )
    with fake.serve() as base_url:
        from nano_banana_pro import NanoBananaPro

        with NanoBananaPro(api_key="any", base_url=base_url) as made:
            task = made.create("A raccoon too big for the disk")
        yield base_url, task.task_id


def test_a_file_size_limit_in_the_cli_exits_2_with_the_path_and_the_task(
    big_image_server: tuple[str, str], tmp_path: Path
) -> None:
    base_url, task_id = big_image_server
    environment = {**os.environ, "MAGNIFIC_BASE_URL": base_url, "MAGNIFIC_API_KEY": "any"}
    result = subprocess.run(
        [sys.executable, "-m", "nano_banana_pro.cli", "download", task_id, "--out", "out"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_small_file_limit,
        check=False,
    )
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    assert "File too large" in result.stderr
    assert f"out/{task_id}_0.png" in result.stderr
    assert task_id in result.stderr
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


# --- statuses that end a task -----------------------------------------------------------------


@pytest.mark.parametrize("final", ["FAILED", "CANCELLED", "ERROR"])
def test_a_final_status_ends_the_wait_with_the_task(
    client: Any, server: ScriptedServer, final: str
) -> None:
    server.on(
        "GET", json_response(200, task_body("IN_PROGRESS")), json_response(200, task_body(final))
    )
    with pytest.raises(TaskFailedError) as caught:
        client.wait(TASK_ID, wait_timeout=600.0)
    assert caught.value.task.status == final
    assert caught.value.task_id == TASK_ID
    assert final in str(caught.value)
    assert server.count("GET") == 2  # ended at once, not at the deadline


def test_an_unknown_status_still_means_keep_polling(
    client: Any, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.on(
        "GET",
        json_response(200, task_body("QUEUED")),
        json_response(200, task_body("QUEUED")),
        json_response(200, task_body("COMPLETED", [IMAGE_URL])),
    )
    task = client.wait(TASK_ID, wait_timeout=600.0)
    assert task.is_completed
    assert server.count("GET") == 3


def test_final_statuses_are_known_and_terminal() -> None:
    for final in ("FAILED", "CANCELLED", "ERROR"):
        task = Task(task_id=TASK_ID, status=TaskStatus(final))
        assert task.is_terminal
        assert task.has_ended_without_images
        assert task.is_known_status
    assert not Task(task_id=TASK_ID, status=TaskStatus("QUEUED")).is_terminal
