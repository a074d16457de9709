"""Downloads are atomic: an interruption at any point leaves no file and no temporary file, and
an existing file is replaced only when asked (and then only by a complete image)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nano_banana_pro import (
    APIConnectionError,
    AsyncNanoBananaPro,
    DownloadError,
    NanoBananaPro,
    Task,
    TaskStatus,
)
from nano_banana_pro.clock import VirtualClock
from tests.reliability.conftest import API_KEY, TASK_ID
from tests.reliability.faults import IMAGE
from tests.reliability.rawserver import (
    Action,
    RawRequest,
    RawServer,
    hang,
    partial,
    respond,
    response_bytes,
)

TARGET = f"{TASK_ID}_0.png"
CHUNK = 1 << 16
CUTS = [0, 1, CHUNK - 1, CHUNK + 1, len(IMAGE) // 2, len(IMAGE) - 1]


def image_task(base_url: str) -> Task:
    url = f"{base_url}/images/{TASK_ID}.png"
    return Task(task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(url,))


def listing(folder: Path) -> list[str]:
    """The folder's files, provenance sidecars aside (their own atomicity is tested apart)."""
    if not folder.exists():
        return []
    return sorted(path.name for path in folder.iterdir() if not path.name.endswith(".png.json"))


@pytest.mark.parametrize("existing", [False, True], ids=["new", "overwriting"])
@pytest.mark.parametrize("how", ["reset", "close"])
@pytest.mark.parametrize("cut", CUTS)
def test_a_download_cut_at_any_point_leaves_nothing_behind(
    make_client: Any, tmp_path: Path, cut: int, how: str, existing: bool
) -> None:
    if existing:
        (tmp_path / TARGET).write_bytes(b"mine")
    answer = partial(200, IMAGE, cut=cut, content_type="image/png", how=how)
    with RawServer(lambda request: answer) as server:
        client = make_client(base_url=server.base_url, max_retries=0)
        with pytest.raises(APIConnectionError) as caught:
            client.download(image_task(server.base_url), tmp_path, overwrite=existing)
        assert server.received() == 1

    assert caught.value.task_id == TASK_ID
    if existing:
        assert listing(tmp_path) == [TARGET]
        assert (tmp_path / TARGET).read_bytes() == b"mine", "the old file was damaged"
    else:
        assert listing(tmp_path) == []


def test_an_existing_file_is_not_overwritten_unless_asked(make_client: Any, tmp_path: Path) -> None:
    for name in (TARGET, f"{TASK_ID}_0.jpg"):
        (tmp_path / name).write_bytes(b"mine")
    with RawServer(lambda request: respond(200, IMAGE, content_type="image/png")) as server:
        client = make_client(base_url=server.base_url)
        with pytest.raises(DownloadError, match="overwrite=True"):
            client.download(image_task(server.base_url), tmp_path)
        assert server.received() == 0, "nothing is fetched when a file is in the way"
        assert (tmp_path / TARGET).read_bytes() == b"mine"

        (tmp_path / TARGET).unlink()
        with pytest.raises(DownloadError, match="overwrite=True"):
            client.download(image_task(server.base_url), tmp_path)
        assert (tmp_path / f"{TASK_ID}_0.jpg").read_bytes() == b"mine"

        paths = client.download(image_task(server.base_url), tmp_path, overwrite=True)

    assert paths == [tmp_path / TARGET]
    assert (tmp_path / TARGET).read_bytes() == IMAGE
    assert listing(tmp_path) == sorted([TARGET, f"{TASK_ID}_0.jpg"])


def test_a_file_that_appears_during_the_download_is_not_overwritten(
    make_client: Any, tmp_path: Path
) -> None:
    def answer(request: RawRequest) -> Action:
        (tmp_path / TARGET).write_bytes(b"written meanwhile by someone else")
        return respond(200, IMAGE, content_type="image/png")

    with RawServer(answer) as server:
        client = make_client(base_url=server.base_url, max_retries=0)
        with pytest.raises(DownloadError, match="overwrite=True"):
            client.download(image_task(server.base_url), tmp_path)

    assert listing(tmp_path) == [TARGET]
    assert (tmp_path / TARGET).read_bytes() == b"written meanwhile by someone else"


class InterruptedStream(httpx.SyncByteStream):
    """Yields more than a chunk of the image, then the user presses Ctrl-C."""

    def __iter__(self) -> Iterator[bytes]:
        yield IMAGE[: CHUNK + 10]
        raise KeyboardInterrupt


def test_a_sync_download_interrupted_by_the_user_leaves_nothing_behind(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, stream=InterruptedStream(), headers={"content-type": "image/png"}
        )

    client = NanoBananaPro(
        api_key=API_KEY, transport=httpx.MockTransport(handler), clock=VirtualClock()
    )
    with client, pytest.raises(KeyboardInterrupt):
        client.download(image_task("https://ai-statics.freepik.com"), tmp_path)

    assert listing(tmp_path) == []


def test_an_async_download_cancelled_midway_leaves_nothing_behind(tmp_path: Path) -> None:
    half_sent = threading.Event()
    head = response_bytes(200, IMAGE, content_type="image/png")[: -len(IMAGE)]
    answer = hang(after=head + IMAGE[: 3 * CHUNK], sent=half_sent)

    async def download_then_cancel(base_url: str) -> None:
        async with AsyncNanoBananaPro(api_key=API_KEY, base_url=base_url) as client:
            job = asyncio.create_task(client.download(image_task(base_url), tmp_path))
            for _ in range(500):  # until the temporary file holds data
                await asyncio.sleep(0.01)
                if any(path.stat().st_size > 0 for path in tmp_path.iterdir()):
                    break
            else:
                pytest.fail("the download never started writing")
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job

    with RawServer(lambda request: answer) as server:
        asyncio.run(download_then_cancel(server.base_url))

    assert half_sent.is_set()
    assert listing(tmp_path) == []


def drain(sock: socket.socket) -> None:
    while sock.recv(65536):
        pass


def test_the_raw_server_really_resets() -> None:
    """Guards the suite itself: a `reset` answer reaches the client as ECONNRESET."""
    answer = partial(200, IMAGE, cut=10, content_type="image/png", how="reset")
    with (
        RawServer(lambda request: answer) as server,
        socket.create_connection(("127.0.0.1", server.port)) as sock,
    ):
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            drain(sock)
