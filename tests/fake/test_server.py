"""`FakeMagnific.serve()`: the fake over real HTTP on 127.0.0.1, in a daemon thread."""

from __future__ import annotations

import http.client
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from nano_banana_pro.clock import SystemClock
from nano_banana_pro.testing import API_PATH, FakeMagnific
from tests.fake.helpers import KEY, create, read_png, task_url


def port_of(base_url: str) -> int:
    port = urlsplit(base_url).port
    assert port is not None
    return port


def test_the_lifecycle_over_http(fake_magnific: FakeMagnific) -> None:
    with (
        fake_magnific.serve() as base_url,
        httpx.Client(base_url=base_url, headers={"x-magnific-api-key": KEY}) as client,
    ):
        assert base_url.startswith("http://127.0.0.1:")
        assert port_of(base_url) > 0
        task_id = create(client, aspect_ratio="16:9")
        fake_magnific.advance(5)
        [url] = client.get(task_url(task_id)).json()["data"]["generated"]
        image = httpx.get(url)

    assert url == f"{base_url}/_fake/images/{task_id}.png"
    assert image.headers["content-type"] == "image/png"
    assert read_png(image.content)[:2] == (128, 72)
    assert [r.operation for r in fake_magnific.requests] == ["create", "get", "image"]


def test_errors_over_http(fake_magnific: FakeMagnific) -> None:
    with fake_magnific.serve() as base_url, httpx.Client(base_url=base_url) as client:
        assert client.get(API_PATH).json() == {"message": "Missing API key"}
        fake_magnific.fail_next(502, html=True)
        page = client.get(API_PATH)
        invalid = client.post(API_PATH, json={}, headers={"x-magnific-api-key": KEY})

    assert page.status_code == 502
    assert "Bad Gateway" in page.text
    assert invalid.status_code == 400
    assert invalid.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("after_processing", "tasks"), [(False, 0), (True, 1)])
def test_a_drop_closes_the_connection_without_an_answer(
    fake_magnific: FakeMagnific, after_processing: bool, tasks: int
) -> None:
    fake_magnific.drop_next(on="create", after_processing=after_processing)
    with (
        fake_magnific.serve() as base_url,
        httpx.Client(base_url=base_url, headers={"x-magnific-api-key": KEY}) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(API_PATH, json={"prompt": "A suited raccoon"})
        assert len(fake_magnific.tasks) == tasks
        assert client.get(API_PATH).status_code == 200


def test_a_delay_sleeps_on_the_fakes_clock(fake_magnific: FakeMagnific) -> None:
    fake_magnific.delay_next(30)
    with (
        fake_magnific.serve() as base_url,
        httpx.Client(base_url=base_url, headers={"x-magnific-api-key": KEY}) as client,
    ):
        assert client.get(API_PATH).status_code == 200
    assert fake_magnific.clock.monotonic() == 30


def test_a_real_delay_beyond_the_clients_read_timeout_times_out() -> None:
    fake = FakeMagnific(clock=SystemClock())
    fake.delay_next(0.3)
    with (
        fake.serve() as base_url,
        httpx.Client(base_url=base_url, headers={"x-magnific-api-key": KEY}) as client,
    ):
        with pytest.raises(httpx.ReadTimeout):
            client.get(API_PATH, timeout=httpx.Timeout(1, read=0.05))
        assert client.get(API_PATH).status_code == 200


def test_concurrent_requests_are_all_handled(fake_magnific: FakeMagnific) -> None:
    with (
        fake_magnific.serve() as base_url,
        httpx.Client(base_url=base_url, headers={"x-magnific-api-key": KEY}) as client,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        task_ids = list(pool.map(lambda _: create(client), range(24)))

    assert len(set(task_ids)) == 24
    assert set(fake_magnific.tasks) == set(task_ids)
    assert fake_magnific.count(operation="create") == 24


def test_the_server_stops_on_exit_and_closes_kept_alive_connections(
    fake_magnific: FakeMagnific,
) -> None:
    with fake_magnific.serve() as base_url:
        port = port_of(base_url)
        kept_alive = socket.create_connection(("127.0.0.1", port), timeout=2)
        kept_alive.sendall(
            f"GET {API_PATH} HTTP/1.1\r\nHost: x\r\nx-magnific-api-key: {KEY}\r\n\r\n".encode()
        )
        response = http.client.HTTPResponse(kept_alive)
        response.begin()
        assert response.status == 200
        assert response.getheader("connection") != "close"
        assert response.read() == b'{"data":[]}'

    with kept_alive:
        assert kept_alive.recv(1) == b""  # closed by the server, not waiting for a request
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}{API_PATH}")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_two_servers_get_different_ports() -> None:
    with FakeMagnific().serve() as first, FakeMagnific().serve() as second:
        assert port_of(first) != port_of(second)
