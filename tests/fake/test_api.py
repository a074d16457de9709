"""The fake's API, driven with plain httpx in-process: auth, validation, lifecycle, routing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from nano_banana_pro.clock import SystemClock, VirtualClock
from nano_banana_pro.testing import API_PATH, FakeMagnific, Schedule
from tests.fake.helpers import BASE_URL, KEY, create, task_url


def client_for(fake: FakeMagnific, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=BASE_URL, headers=headers or {}, transport=fake.transport())


# -- auth ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Missing API key"),
        ({"x-magnific-api-key": ""}, "Missing API key"),
        ({"x-magnific-api-key": "wrong"}, "Invalid API key"),
        ({"x-freepik-api-key": KEY}, "Missing API key"),
    ],
)
@pytest.mark.parametrize(("method", "path"), [("POST", API_PATH), ("GET", API_PATH)])
def test_a_missing_or_wrong_key_gets_401(
    fake_magnific: FakeMagnific, headers: dict[str, str], message: str, method: str, path: str
) -> None:
    response = client_for(fake_magnific, headers).request(method, path, json={"prompt": "ok"})

    assert response.status_code == 401
    assert response.json() == {"message": message}
    assert fake_magnific.tasks == {}


def test_a_401_comes_before_the_404_of_an_unknown_task(fake_magnific: FakeMagnific) -> None:
    response = client_for(fake_magnific).get(task_url(str(uuid.uuid4())))
    assert response.json() == {"message": "Missing API key"}


def test_api_key_none_accepts_any_non_empty_key() -> None:
    fake = FakeMagnific(api_key=None)
    assert client_for(fake, {"x-magnific-api-key": "anything"}).get(API_PATH).status_code == 200
    assert client_for(fake, {"x-magnific-api-key": ""}).get(API_PATH).status_code == 401


def test_the_key_is_redacted_in_the_request_log_and_absent_from_the_repr(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    http.get(API_PATH)

    [recorded] = fake_magnific.requests
    assert recorded.headers["x-magnific-api-key"] == "[redacted]"
    assert KEY not in repr(recorded)
    assert KEY not in repr(fake_magnific)


# -- validation --------------------------------------------------------------------------------

IMAGE = {"image": "https://example.com/a.jpg", "mime_type": "image/jpeg"}


@pytest.mark.parametrize(
    ("body", "name", "reason"),
    [
        ({}, "prompt", "Required"),
        ({"prompt": 42}, "prompt", "Expected string, received number"),
        ({"prompt": "a"}, "prompt", "String must contain at least 2 character(s)"),
        ({"prompt": "a" * 3001}, "prompt", "String must contain at most 3000 character(s)"),
        ({"prompt": "ok", "webhook_url": "not a url"}, "webhook_url", "Invalid url"),
        ({"prompt": "ok", "webhook_url": 5}, "webhook_url", "Expected string, received number"),
        ({"prompt": "ok", "reference_images": {}}, "reference_images", "Expected array"),
        ({"prompt": "ok", "reference_images": [IMAGE] * 15}, "reference_images", "at most 14"),
        ({"prompt": "ok", "reference_images": ["x"]}, "reference_images[0]", "Expected object"),
        (
            {"prompt": "ok", "reference_images": [IMAGE, {"mime_type": "image/png"}]},
            "reference_images[1].image",
            "Required",
        ),
        (
            {"prompt": "ok", "reference_images": [{"image": "gs://b/o"}]},
            "reference_images[0].mime_type",
            "Required",
        ),
        (
            {"prompt": "ok", "reference_images": [{**IMAGE, "mime_type": "image/gif"}]},
            "reference_images[0].mime_type",
            "received 'image/gif'",
        ),
        (
            {"prompt": "ok", "reference_images": [{**IMAGE, "text": None}]},
            "reference_images[0].text",
            "Expected string, received null",
        ),
        ({"prompt": "ok", "aspect_ratio": "7:5"}, "aspect_ratio", "Invalid enum value"),
        ({"prompt": "ok", "aspect_ratio": 969}, "aspect_ratio", "received number"),
        ({"prompt": "ok", "resolution": "8K"}, "resolution", "received '8K'"),
        ({"prompt": "ok", "resolution": "2k"}, "resolution", "Invalid enum value"),
    ],
)
def test_a_bad_body_gets_a_problem_400_naming_the_field(
    fake_magnific: FakeMagnific, http: httpx.Client, body: dict[str, Any], name: str, reason: str
) -> None:
    response = http.post(API_PATH, json=body)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["message"] == "Your request parameters didn't validate."
    [param] = problem["invalid_params"]
    assert param["name"] == name
    assert reason in param["reason"]
    assert fake_magnific.tasks == {}


def test_every_problem_is_reported_in_field_order(http: httpx.Client) -> None:
    body = {"prompt": "", "aspect_ratio": "0:0", "resolution": None}
    names = [p["name"] for p in http.post(API_PATH, json=body).json()["invalid_params"]]
    assert names == ["prompt", "aspect_ratio", "resolution"]


@pytest.mark.parametrize(
    ("content", "content_type", "reason"),
    [
        (b"[1, 2]", "application/json", "Expected object, received array"),
        (b"{not json", "application/json", "Invalid JSON"),
        (b"prompt=hello", "application/x-www-form-urlencoded", "Content-Type application/json"),
    ],
)
def test_a_body_that_is_not_a_json_object_gets_400(
    http: httpx.Client, content: bytes, content_type: str, reason: str
) -> None:
    response = http.post(API_PATH, content=content, headers={"content-type": content_type})
    assert response.status_code == 400
    assert response.json()["invalid_params"][0]["name"] == "body"
    assert reason in response.json()["invalid_params"][0]["reason"]


def test_a_full_body_with_boundary_values_and_unknown_fields_is_accepted(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    body = {
        "prompt": "a" * 3000,
        "webhook_url": "https://www.example.com/webhook?x=1",
        "reference_images": [{**IMAGE, "text": "style"}] * 13
        + [{"image": "gs://b/o", "mime_type": "image/webp"}],
        "aspect_ratio": "21:9",
        "resolution": "medium",
        "future_field": True,
    }
    task_id = create(http, **body)
    assert fake_magnific.tasks[task_id].body == body


# -- create, get, list -------------------------------------------------------------------------


def test_create_answers_a_new_created_task(fake_magnific: FakeMagnific, http: httpx.Client) -> None:
    response = http.post(API_PATH, json={"prompt": "A suited raccoon"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()["data"]
    assert uuid.UUID(data["task_id"]).version == 4
    assert data == {"task_id": data["task_id"], "status": "CREATED", "generated": []}
    assert list(fake_magnific.tasks) == [data["task_id"]]


def test_a_task_goes_created_in_progress_completed_on_the_clock(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    task_id = create(http)

    def data() -> Any:
        return http.get(task_url(task_id)).json()["data"]

    assert data()["status"] == "CREATED"
    fake_magnific.advance(0.999)
    assert data()["status"] == "CREATED"
    fake_magnific.advance(0.001)
    assert data() == {"task_id": task_id, "status": "IN_PROGRESS", "generated": []}
    fake_magnific.advance(3.9)
    assert data()["status"] == "IN_PROGRESS"
    fake_magnific.advance(0.1)
    assert data() == {
        "task_id": task_id,
        "status": "COMPLETED",
        "generated": [f"{BASE_URL}/_fake/images/{task_id}.png"],
    }
    assert fake_magnific.status(task_id) == "COMPLETED"


def test_sleeping_on_the_clock_moves_tasks_too(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    task_id = create(http)
    fake_magnific.clock.sleep(5)
    assert http.get(task_url(task_id)).json()["data"]["status"] == "COMPLETED"


def test_a_schedule_starting_at_zero_answers_in_progress_at_once() -> None:
    fake = FakeMagnific(schedule=Schedule(in_progress_after=0, complete_after=2))
    client = client_for(fake, {"x-magnific-api-key": KEY})
    assert client.post(API_PATH, json={"prompt": "ok"}).json()["data"]["status"] == "IN_PROGRESS"


def test_schedules_per_resolution_tier_and_per_request() -> None:
    fast, slow = Schedule(in_progress_after=0, complete_after=1), Schedule(complete_after=60)
    by_tier = FakeMagnific(schedule={"1K": fast, "4K": slow})
    client = client_for(by_tier, {"x-magnific-api-key": KEY})
    low, high, default = (
        create(client, resolution="low"),
        create(client, resolution="4K"),
        create(client),
    )
    by_tier.advance(5)
    assert [by_tier.status(t) for t in (low, high, default)] == [
        "COMPLETED",
        "IN_PROGRESS",
        "COMPLETED",
    ]

    seen: list[Any] = []

    def per_request(body: Any) -> Schedule:
        seen.append(body)
        return slow

    custom = FakeMagnific(schedule=per_request)
    task_id = create(client_for(custom, {"x-magnific-api-key": KEY}), aspect_ratio="9:16")
    custom.advance(59)
    assert custom.status(task_id) == "IN_PROGRESS"
    assert seen == [{"prompt": "A suited raccoon", "aspect_ratio": "9:16"}]


def test_a_schedule_cannot_complete_before_it_starts() -> None:
    with pytest.raises(ValueError, match="must not come before"):
        Schedule(in_progress_after=3, complete_after=2)


def test_an_unknown_task_gets_404(http: httpx.Client) -> None:
    response = http.get(task_url(str(uuid.uuid4())))
    assert response.status_code == 404
    assert response.json() == {"message": "AI resource not found"}


def test_a_task_id_with_an_escaped_slash_is_one_unknown_id(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    create(http)
    response = http.get(f"{API_PATH}/..%2F..%2Fnano-banana-pro")
    assert response.status_code == 404
    assert response.json() == {"message": "AI resource not found"}


def test_list_shows_every_task_with_its_status_only(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    assert http.get(API_PATH).json() == {"data": []}
    first = create(http)
    fake_magnific.advance(2)
    second = create(http)

    assert http.get(API_PATH).json() == {
        "data": [
            {"task_id": first, "status": "IN_PROGRESS"},
            {"task_id": second, "status": "CREATED"},
        ]
    }


@pytest.mark.parametrize(
    "path", ["/", "/v1/ai/text-to-image/nano-banana-pro-flash", f"{API_PATH}/a/b", "/_fake/images/"]
)
def test_other_paths_get_404_json(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert "message" in response.json()


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", API_PATH, "GET, POST"),
        ("PUT", API_PATH, "GET, POST"),
        ("POST", f"{API_PATH}/x", "GET"),
    ],
)
def test_a_wrong_method_gets_405(http: httpx.Client, method: str, path: str, allow: str) -> None:
    response = http.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {"message": "Method not allowed"}


def test_the_request_log_and_counts(fake_magnific: FakeMagnific, http: httpx.Client) -> None:
    task_id = create(http, aspect_ratio="16:9")
    http.get(task_url(task_id))
    http.get(API_PATH)
    http.post(API_PATH, json={})

    assert [(r.method, r.operation, r.status) for r in fake_magnific.requests] == [
        ("POST", "create", 200),
        ("GET", "get", 200),
        ("GET", "list", 200),
        ("POST", "create", 400),
    ]
    assert fake_magnific.requests[0].json == {"prompt": "A suited raccoon", "aspect_ratio": "16:9"}
    assert fake_magnific.requests[1].path == task_url(task_id)
    assert fake_magnific.count() == 4
    assert fake_magnific.count(method="POST") == 2
    assert fake_magnific.count(operation="get") == 1
    assert fake_magnific.count(method="GET", operation="create") == 0


# -- task knobs -------------------------------------------------------------------------------


def test_fail_task_next_makes_the_next_tasks_end_failed(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    fake_magnific.fail_task_next(count=2)
    tasks = [create(http) for _ in range(3)]
    fake_magnific.advance(1)
    assert {fake_magnific.status(t) for t in tasks} == {"IN_PROGRESS"}
    fake_magnific.advance(4)

    answers = [http.get(task_url(t)).json()["data"] for t in tasks]
    assert [(a["status"], a["generated"] == []) for a in answers] == [
        ("FAILED", True),
        ("FAILED", True),
        ("COMPLETED", False),
    ]


def test_unknown_status_next_reports_a_new_status_on_the_next_gets_only(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    task_id = create(http)
    fake_magnific.advance(5)
    fake_magnific.unknown_status_next("QUEUED", count=2)

    assert http.post(API_PATH, json={"prompt": "ok"}).json()["data"]["status"] == "CREATED"
    assert http.get(API_PATH).json()["data"][0]["status"] == "COMPLETED"
    statuses = [http.get(task_url(task_id)).json()["data"] for _ in range(3)]
    assert [s["status"] for s in statuses] == ["QUEUED", "QUEUED", "COMPLETED"]
    assert statuses[0]["generated"] == []


@pytest.mark.parametrize(
    "arm",
    [
        lambda fake, count: fake.fail_task_next(count=count),
        lambda fake, count: fake.unknown_status_next(count=count),
        lambda fake, count: fake.fail_next(500, count=count),
        lambda fake, count: fake.drop_next(count=count),
        lambda fake, count: fake.delay_next(1, count=count),
    ],
)
@pytest.mark.parametrize("count", [0, -1])
def test_knobs_refuse_a_count_below_one(
    fake_magnific: FakeMagnific, arm: Callable[[FakeMagnific, int], None], count: int
) -> None:
    with pytest.raises(ValueError, match="count must be 1 or more"):
        arm(fake_magnific, count)


def test_advance_needs_a_virtual_clock() -> None:
    with pytest.raises(TypeError, match="needs a VirtualClock"):
        FakeMagnific(clock=SystemClock()).advance(1)


def test_the_fixture_is_a_fresh_fake_on_a_virtual_clock(fake_magnific: FakeMagnific) -> None:
    assert isinstance(fake_magnific.clock, VirtualClock)
    assert fake_magnific.clock.monotonic() == 0
    assert fake_magnific.tasks == {}
    assert fake_magnific.requests == []
