"""Hostile or broken servers: odd image URLs and task ids, other schemes and protocols,
redirects. File names stay inside the target folder, only http(s) is fetched, and the API key
never reaches the image host, nor crosses a redirect."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from nano_banana_pro import (
    APIConnectionError,
    APIError,
    DownloadError,
    NanoBananaProError,
    Task,
    TaskStatus,
)
from nano_banana_pro.testing import API_PATH
from tests.reliability.conftest import API_KEY, FUZZ, PROMPT, TASK_ID, LeakGuard, client_for
from tests.reliability.faults import IMAGE, ok_body, op_of
from tests.reliability.rawserver import (
    Action,
    RawRequest,
    RawServer,
    redirect,
    respond,
    send_and_close,
)

IMAGE_HOST = "https://ai-statics.freepik.com"
KEY_HEADER = "x-magnific-api-key"
HOSTILE_SEGMENTS = [
    "..",
    "../../etc/passwd",
    "..%2F..%2Fescape.png",
    "%2e%2e%2f%2e%2e%2fescape.png",
    "a/b.png",
    "/abs.png",
    ".hidden.png",
    "..\\..\\windows.png",
    "CON.png",
    "",
]
HOSTILE_TASK_IDS = ["..", "../../etc/passwd", "/abs", ".hidden", "a\\..\\b", "\x00", "x" * 300]


def completed(task_id: str, *urls: str) -> Task:
    return Task(task_id=task_id, status=TaskStatus.COMPLETED, generated=urls)


def image_or_nothing(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=IMAGE, headers={"content-type": "image/png"})


def keyless(server: RawServer) -> bool:
    """True when no request the server read carried the key, in any header."""
    return all(
        KEY_HEADER not in request.headers and API_KEY not in str(request.headers)
        for request in server.requests
    )


@pytest.mark.parametrize("flavour", ["sync", "async"])
@FUZZ
@given(
    task_id=st.one_of(st.sampled_from(HOSTILE_TASK_IDS), st.text(min_size=1, max_size=80)),
    segment=st.one_of(st.sampled_from(HOSTILE_SEGMENTS), st.text(max_size=40)),
)
@example(task_id=TASK_ID, segment="\x00.png")
def test_file_names_stay_inside_the_target_folder(
    flavour: str, tmp_path_factory: pytest.TempPathFactory, task_id: str, segment: str
) -> None:
    folder = tmp_path_factory.mktemp("out")
    url = f"{IMAGE_HOST}/images/{segment}"
    with client_for(flavour, transport=httpx.MockTransport(image_or_nothing)) as client:
        try:
            paths = client.download(completed(task_id, url), folder)
        except NanoBananaProError:
            assert list(folder.iterdir()) == [], "a failed download left files"
            return
    assert len(paths) == 1
    assert paths[0].parent.resolve() == folder.resolve()
    assert not paths[0].name.startswith("."), "a hidden file name"
    assert sorted(path.name for path in folder.iterdir()) == [
        paths[0].name,
        f"{paths[0].name}.json",
    ]
    assert paths[0].read_bytes() == IMAGE


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://ai-statics.freepik.com/x.png",
        "gs://bucket/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        "//ai-statics.freepik.com/x.png",
        "/images/x.png",
        "",
        "https:///x.png",
        # http(s), but no connection can use its host or port:
        "http://xn--zz/x.png",  # an A-label that does not decode
        "http://127.0.0.1:70000/x.png",
        "https://ai-statics.freepik.com:0/x.png",
        "http://a..b/x.png",
        f"http://{'a' * 64}.com/x.png",
        f"http://{'a.' * 127}com/x.png",
    ],
)
def test_only_usable_http_image_urls_are_fetched(
    make_client: Any, tmp_path: Path, leak_guard: LeakGuard, url: str
) -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return image_or_nothing(request)

    client = make_client(transport=httpx.MockTransport(record))
    task = completed(TASK_ID, f"{IMAGE_HOST}/fine.png", url)
    with pytest.raises(DownloadError, match="refusing to download") as caught:
        client.download(task, tmp_path)
    assert requests == [], "nothing is fetched when any URL is refused"
    assert list(tmp_path.iterdir()) == []
    assert caught.value.task_id == TASK_ID
    leak_guard.assert_clean(caught.value, client)


def test_an_image_url_on_another_protocols_port_fails_cleanly(
    make_client: Any, tmp_path: Path, leak_guard: LeakGuard
) -> None:
    ssh = send_and_close(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")
    with RawServer(lambda request: ssh) as server:
        client = make_client(max_retries=2)
        with pytest.raises(APIConnectionError) as caught:
            client.download(completed(TASK_ID, f"{server.base_url}/x.png"), tmp_path)
        assert server.received() == 3
    assert list(tmp_path.iterdir()) == []
    assert keyless(server)
    leak_guard.assert_clean(caught.value, client)


def api_and_images(image_url: str) -> Any:
    """A raw API: create and get answer a COMPLETED task whose image is at `image_url`."""

    def answer(request: RawRequest) -> Action:
        if op_of(request) == "download":
            return respond(200, IMAGE, content_type="image/png")
        body = ok_body("get", status="COMPLETED")
        body["data"]["generated"] = [image_url.format(self=request.headers["host"])]
        return respond(200, body)

    return answer


def test_an_image_redirect_to_another_origin_never_carries_the_key(
    make_client: Any, tmp_path: Path, leak_guard: LeakGuard
) -> None:
    with (
        RawServer(lambda request: respond(200, IMAGE, content_type="image/png")) as elsewhere,
        RawServer(lambda request: redirect(f"{elsewhere.base_url}/final.png")) as image_host,
        RawServer(api_and_images(f"{image_host.base_url}/image.png")) as api,
    ):
        client = make_client(base_url=api.base_url)
        paths = client.download(TASK_ID, tmp_path)

    assert [path.name for path in paths] == [f"{TASK_ID}_0.png"]
    assert paths[0].read_bytes() == IMAGE
    assert api.received() == 1
    assert api.requests[0].headers[KEY_HEADER] == API_KEY
    assert image_host.received() == 1
    assert elsewhere.received() == 1
    assert keyless(image_host), "the key was sent to the image host"
    assert keyless(elsewhere), "the key followed the redirect"
    leak_guard.assert_clean(client)


def test_an_image_on_the_api_origin_is_fetched_without_the_key(
    make_client: Any, tmp_path: Path
) -> None:
    with RawServer(api_and_images("http://{self}/images/image.png")) as api:
        client = make_client(base_url=api.base_url)
        client.download(TASK_ID, tmp_path)

    get, image = api.requests
    assert get.headers[KEY_HEADER] == API_KEY
    assert op_of(image) == "download"
    assert KEY_HEADER not in image.headers


@pytest.mark.parametrize(
    "location",
    [
        "{self}/loop.png",
        "file:///etc/passwd",
        "ftp://127.0.0.1/x.png",
        "http://127.0.0.1:70000/x.png",
        "http://xn--zz/x.png",
        "http://xn--a/x.png",
    ],
    ids=["loop", "file", "ftp", "port-out-of-range", "bad-a-label", "a-label-httpx-decodes"],
)
def test_an_image_redirect_that_goes_nowhere_fails_with_a_typed_error(
    make_client: Any, tmp_path: Path, leak_guard: LeakGuard, location: str
) -> None:
    target: list[str] = []
    with RawServer(lambda request: redirect(location.format(self=target[0]))) as image_host:
        target.append(image_host.base_url)
        client = make_client(max_retries=0)
        with pytest.raises(DownloadError) as caught:
            client.download(completed(TASK_ID, f"{image_host.base_url}/image.png"), tmp_path)

    assert list(tmp_path.iterdir()) == []
    assert caught.value.task_id == TASK_ID
    leak_guard.assert_clean(caught.value, client)


def call_api(client: Any, op: str) -> Any:
    if op == "create":
        return client.create(PROMPT)
    if op == "get":
        return client.get(TASK_ID)
    return client.list()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("op", ["create", "get", "list"])
def test_the_api_never_follows_a_redirect(
    make_client: Any, leak_guard: LeakGuard, status: int, op: str
) -> None:
    with (
        RawServer(lambda request: respond(200, ok_body("get"))) as elsewhere,
        RawServer(
            lambda request: redirect(f"{elsewhere.base_url}{API_PATH}", status=status)
        ) as api,
    ):
        client = make_client(base_url=api.base_url, max_retries=2)
        with pytest.raises(APIError) as caught:
            call_api(client, op)

    assert caught.value.status_code == status
    assert api.received() == 1, "a redirect is an answer, not a fault to retry"
    assert elsewhere.received() == 0, "the redirect was followed"
    assert api.requests[0].headers[KEY_HEADER] == API_KEY
    leak_guard.assert_clean(caught.value, client)


def test_a_percent_encoded_traversal_in_the_url_is_not_decoded_into_the_name(
    make_client: Any, tmp_path: Path
) -> None:
    segment = urllib.parse.quote("../../escape.png", safe="")
    client = make_client(transport=httpx.MockTransport(image_or_nothing))
    paths = client.download(completed(TASK_ID, f"{IMAGE_HOST}/{segment}"), tmp_path / "out")
    assert paths == [tmp_path / "out" / f"{TASK_ID}_0.png"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]
