"""The fault knobs, in-process: each applies to the next N matching requests, then stops."""

from __future__ import annotations

import httpx
import pytest

from nano_banana_pro.testing import API_PATH, FakeMagnific
from tests.fake.helpers import create, task_url

PROMPT = {"prompt": "A suited raccoon"}


def test_fail_next_applies_to_count_requests_then_stops(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    fake_magnific.fail_next(503, count=2)

    statuses = [http.get(API_PATH).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert [r.fault for r in fake_magnific.requests] == ["fail", "fail", None]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (429, "Too many requests"),
        (500, "Internal Server Error"),
        (503, "Service Unavailable. Please try again later."),
        (502, "Bad Gateway"),
        (520, "Web server is returning an unknown error"),
        (529, "Site is overloaded"),
        (402, "Payment Required"),
    ],
)
def test_fail_next_answers_the_service_message_for_the_status(
    http: httpx.Client, fake_magnific: FakeMagnific, status: int, message: str
) -> None:
    fake_magnific.fail_next(status)
    response = http.post(API_PATH, json=PROMPT)
    assert response.status_code == status
    assert response.json() == {"message": message}
    assert "retry-after" not in response.headers
    assert fake_magnific.tasks == {}


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [(2, "2"), (0.5, "0.5"), ("Wed, 21 Oct 2026 07:28:00 GMT", "Wed, 21 Oct 2026 07:28:00 GMT")],
)
def test_fail_next_can_send_retry_after(
    http: httpx.Client, fake_magnific: FakeMagnific, retry_after: float | str, header: str
) -> None:
    fake_magnific.fail_next(429, retry_after=retry_after)
    response = http.get(API_PATH)
    assert response.status_code == 429
    assert response.headers["retry-after"] == header


def test_fail_next_can_send_a_gateway_html_page_or_a_custom_body(
    http: httpx.Client, fake_magnific: FakeMagnific
) -> None:
    fake_magnific.fail_next(502, html=True)
    fake_magnific.fail_next(500, body={"message": "boom", "error": "E42"})

    page = http.get(API_PATH)
    custom = http.get(API_PATH)

    assert page.status_code == 502
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in page.text
    assert custom.json() == {"message": "boom", "error": "E42"}


def test_fail_next_refuses_a_status_that_is_not_an_error(fake_magnific: FakeMagnific) -> None:
    with pytest.raises(ValueError, match="4xx or 5xx"):
        fake_magnific.fail_next(200)


def test_a_fault_applies_only_to_its_operation(
    http: httpx.Client, fake_magnific: FakeMagnific
) -> None:
    task_id = create(http)
    fake_magnific.fail_next(500, on="get")

    assert http.get(API_PATH).status_code == 200
    assert http.post(API_PATH, json=PROMPT).status_code == 200
    assert http.get(task_url(task_id)).status_code == 500
    assert http.get(task_url(task_id)).status_code == 200


def test_faults_apply_oldest_first_one_per_request(
    http: httpx.Client, fake_magnific: FakeMagnific
) -> None:
    fake_magnific.fail_next(500, on="create")
    fake_magnific.fail_next(503)

    assert http.post(API_PATH, json=PROMPT).status_code == 500
    assert http.post(API_PATH, json=PROMPT).status_code == 503
    assert http.post(API_PATH, json=PROMPT).status_code == 200


def test_faults_come_before_the_key_check(fake_magnific: FakeMagnific) -> None:
    fake_magnific.fail_next(503)
    client = httpx.Client(base_url="https://api.magnific.com", transport=fake_magnific.transport())
    assert client.get(API_PATH).status_code == 503


def test_a_failure_after_processing_still_creates_the_task(
    http: httpx.Client, fake_magnific: FakeMagnific
) -> None:
    fake_magnific.fail_next(500, on="create", after_processing=True)

    response = http.post(API_PATH, json=PROMPT)

    assert response.status_code == 500
    assert len(fake_magnific.tasks) == 1
    assert fake_magnific.requests[0].status == 500


@pytest.mark.parametrize(("after_processing", "tasks"), [(False, 0), (True, 1)])
def test_drop_next_raises_remote_protocol_error_once(
    http: httpx.Client, fake_magnific: FakeMagnific, after_processing: bool, tasks: int
) -> None:
    fake_magnific.drop_next(on="create", after_processing=after_processing)

    with pytest.raises(httpx.RemoteProtocolError):
        http.post(API_PATH, json=PROMPT)

    assert len(fake_magnific.tasks) == tasks
    assert fake_magnific.requests[0].status is None
    assert fake_magnific.requests[0].fault == "drop"
    assert http.post(API_PATH, json=PROMPT).status_code == 200


def test_drop_next_applies_to_count_requests(
    http: httpx.Client, fake_magnific: FakeMagnific
) -> None:
    fake_magnific.drop_next(count=2, on="list")
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(API_PATH)
    assert http.get(API_PATH).status_code == 200


def test_delay_next_answers_late_on_the_clock(
    http: httpx.Client, fake_magnific: FakeMagnific
) -> None:
    task_id = create(http)
    fake_magnific.delay_next(3.5, on="get")

    response = http.get(task_url(task_id), timeout=10)

    assert response.status_code == 200
    # The request was handled on arrival (t=0), and answered at t=3.5.
    assert response.json()["data"]["status"] == "CREATED"
    assert fake_magnific.clock.monotonic() == 3.5
    assert fake_magnific.requests[-1].fault == "delay"
    http.get(task_url(task_id))
    assert fake_magnific.clock.monotonic() == 3.5


def test_a_delay_beyond_the_read_timeout_raises_read_timeout_after_the_timeout(
    http: httpx.Client, fake_magnific: FakeMagnific
) -> None:
    fake_magnific.delay_next(60, on="create")

    with pytest.raises(httpx.ReadTimeout):
        http.post(API_PATH, json=PROMPT, timeout=httpx.Timeout(5, read=2))

    assert fake_magnific.clock.monotonic() == 2
    assert len(fake_magnific.tasks) == 1  # the service acted: the ambiguous case


def test_a_delay_without_a_read_timeout_waits_it_out(fake_magnific: FakeMagnific) -> None:
    client = httpx.Client(
        base_url="https://api.magnific.com",
        headers={"x-magnific-api-key": "test-key"},
        transport=fake_magnific.transport(),
        timeout=None,
    )
    fake_magnific.delay_next(600)
    assert client.get(API_PATH).status_code == 200
    assert fake_magnific.clock.monotonic() == 600


def test_delay_next_refuses_a_negative_delay(fake_magnific: FakeMagnific) -> None:
    with pytest.raises(ValueError, match="seconds must be 0 or more"):
        fake_magnific.delay_next(-1)
