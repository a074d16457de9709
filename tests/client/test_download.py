"""download(): streamed, atomic, never overwriting by surprise, never sending the key away."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nano_banana_pro import (
    APIConnectionError,
    APIError,
    DownloadError,
    InvalidRequestError,
    NotFoundError,
    Task,
)
from nano_banana_pro.task import TaskStatus
from tests.client.conftest import (
    API_KEY,
    IMAGE_URL,
    TASK_ID,
    ScriptedServer,
    json_response,
    task_body,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def completed(*urls: str) -> Task:
    return Task(task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=urls or (IMAGE_URL,))


def image(content: bytes = PNG, content_type: str = "image/png") -> httpx.Response:
    return httpx.Response(200, content=content, headers={"content-type": content_type})


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Yields some bytes, then the connection breaks."""

    def __iter__(self) -> Iterator[bytes]:
        yield PNG[:1000]
        raise httpx.ReadError("connection reset mid-body")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield PNG[:1000]
        raise httpx.ReadError("connection reset mid-body")


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_download_saves_each_image_named_after_the_task(
    client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    server.on("IMAGE", image(), image(b"RIFF....WEBPVP8 ", "image/webp"))
    paths = client.download(completed(IMAGE_URL, "https://cdn.example.com/b"), tmp_path / "out")
    assert [path.name for path in paths] == [f"{TASK_ID}_0.png", f"{TASK_ID}_1.webp"]
    assert paths[0].read_bytes() == PNG
    assert leftovers(tmp_path / "out") == [
        f"{TASK_ID}_0.png",
        f"{TASK_ID}_0.png.json",  # each image's provenance sidecar
        f"{TASK_ID}_1.webp",
        f"{TASK_ID}_1.webp.json",
    ]


def test_the_api_key_is_never_sent_to_the_image_host(
    client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    server.on("IMAGE", image())
    client.download(completed(), tmp_path)
    (request,) = server.requests
    assert "x-magnific-api-key" not in request.headers
    assert API_KEY not in str(request.headers)


def test_a_task_id_is_fetched_first_and_must_be_completed(
    client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    server.on("GET", json_response(200, task_body("IN_PROGRESS")))
    with pytest.raises(InvalidRequestError, match="wait"):
        client.download(TASK_ID, tmp_path)
    server.on("GET", json_response(200, task_body("COMPLETED", [IMAGE_URL])))
    server.on("IMAGE", image())
    assert [path.name for path in client.download(TASK_ID, tmp_path)] == [f"{TASK_ID}_0.png"]


def test_an_existing_file_is_not_overwritten_unless_asked(
    client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    existing = tmp_path / f"{TASK_ID}_0.png"
    existing.write_bytes(b"mine")
    server.on("IMAGE", image())
    with pytest.raises(DownloadError, match="overwrite=True"):
        client.download(completed(), tmp_path)
    assert existing.read_bytes() == b"mine"
    assert server.count("IMAGE") == 0
    client.download(completed(), tmp_path, overwrite=True)
    assert existing.read_bytes() == PNG
    assert leftovers(tmp_path) == [existing.name, f"{existing.name}.json"]


def test_a_connection_broken_mid_body_leaves_nothing_behind(
    make_client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    server.on(
        "IMAGE",
        lambda request: httpx.Response(
            200, stream=BrokenStream(), headers={"content-type": "image/png"}
        ),
    )
    with pytest.raises(APIConnectionError):
        make_client(max_retries=1).download(completed(), tmp_path)
    assert leftovers(tmp_path) == []
    assert server.count("IMAGE") == 2


def test_a_body_shorter_than_its_content_length_leaves_nothing_behind(
    make_client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    def short(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=PNG[:500],
            headers={"content-type": "image/png", "content-length": str(len(PNG))},
        )

    server.on("IMAGE", short)
    with pytest.raises((DownloadError, APIConnectionError)):
        make_client(max_retries=0).download(completed(), tmp_path)
    assert leftovers(tmp_path) == []


def test_a_failed_first_attempt_is_retried_and_the_file_is_whole(
    client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    server.on(
        "IMAGE",
        lambda request: httpx.Response(
            200, stream=BrokenStream(), headers={"content-type": "image/png"}
        ),
        image(),
    )
    (path,) = client.download(completed(), tmp_path)
    assert path.read_bytes() == PNG
    assert leftovers(tmp_path) == [path.name, f"{path.name}.json"]


def test_an_expired_url_is_a_typed_error(
    client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    server.on("IMAGE", httpx.Response(404, text="<Error>NoSuchKey</Error>"))
    with pytest.raises(APIError) as caught:
        client.download(completed(), tmp_path)
    # Not a NotFoundError: the task exists, its image URL expired (creating it anew would bill).
    assert not isinstance(caught.value, NotFoundError)
    assert "The image host refused it: its URL may have expired" in str(caught.value)
    assert caught.value.task_id == TASK_ID
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a.png", "gs://bucket/a.png", "/relative.png"]
)
def test_only_http_urls_are_downloaded(
    client: Any, server: ScriptedServer, tmp_path: Path, url: str
) -> None:
    with pytest.raises(DownloadError, match="http"):
        client.download(completed(url), tmp_path)
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/../../etc/passwd",
        "https://evil.example.com/a%2F..%2F..%2Fescape.png",
        "https://evil.example.com/",
    ],
)
def test_file_names_never_come_from_the_url(
    client: Any, server: ScriptedServer, tmp_path: Path, url: str
) -> None:
    server.on("IMAGE", image())
    (path,) = client.download(completed(url), tmp_path / "out")
    assert path.parent == tmp_path / "out"
    assert path.name == f"{TASK_ID}_0.png"


def test_the_extension_falls_back_to_the_url_then_bin(
    client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    server.on("IMAGE", image(content_type="application/octet-stream"))
    paths = client.download(
        completed("https://x.example.com/a.jpeg", "https://x.example.com/noext"), tmp_path
    )
    assert [path.suffix for path in paths] == [".jpeg", ".bin"]


def test_out_dir_must_be_a_folder(client: Any, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(InvalidRequestError, match="out_dir"):
        client.download(completed(), not_a_folder)


def test_an_out_dir_that_cannot_be_created_is_a_clear_error(client: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidRequestError, match="cannot create"):
        client.download(completed(), blocker / "sub")


def test_a_task_s_images_are_saved_all_or_none_so_the_same_call_can_be_made_again(
    make_client: Any, server: ScriptedServer, tmp_path: Path
) -> None:
    urls = (IMAGE_URL, "https://cdn.example.com/b.png")
    server.on("IMAGE", image(), json_response(500, {"message": "down"}))
    client = make_client(max_retries=0)
    with pytest.raises(APIError):
        client.download(completed(*urls), tmp_path)
    assert leftovers(tmp_path) == []  # the first image and its sidecar are gone again

    server.on("IMAGE", image())
    paths = client.download(completed(*urls), tmp_path)  # no "exists; pass overwrite=True"
    assert [path.name for path in paths] == [f"{TASK_ID}_0.png", f"{TASK_ID}_1.png"]


@pytest.mark.parametrize(
    "answer",
    [
        image(b"<html><body>Sign in to continue</body></html>", "text/html; charset=utf-8"),
        image(b'{"error": "expired"}', "application/json"),
        image(b"", "image/png"),
    ],
    ids=["html", "json", "empty"],
)
def test_a_page_or_an_empty_body_is_not_saved_as_an_image(
    make_client: Any, server: ScriptedServer, tmp_path: Path, answer: httpx.Response
) -> None:
    server.on("IMAGE", answer)
    with pytest.raises(DownloadError, match="not an image"):
        make_client(max_retries=0).download(completed(), tmp_path)
    assert leftovers(tmp_path) == []
