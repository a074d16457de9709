"""The images the fake serves: real PNGs, sized by aspect ratio, resolution and scale."""

from __future__ import annotations

import httpx
import pytest

from nano_banana_pro.testing import FakeMagnific
from tests.fake.helpers import BASE_URL, KEY, create, read_png, task_url, unfilter


def completed_image(fake: FakeMagnific, **body: object) -> httpx.Response:
    """Create a task, let it complete, and download its image without the API key."""
    with httpx.Client(
        base_url=BASE_URL, headers={"x-magnific-api-key": KEY}, transport=fake.transport()
    ) as api:
        task_id = create(api, **body)
        fake.advance(5)
        [url] = api.get(task_url(task_id)).json()["data"]["generated"]
    with httpx.Client(transport=fake.transport()) as anonymous:
        return anonymous.get(url)


@pytest.mark.parametrize(
    ("body", "size"),
    [
        ({"aspect_ratio": "16:9", "resolution": "2K"}, (128, 72)),
        ({}, (128, 128)),  # defaults: 1:1, 2K
        ({"aspect_ratio": "9:16", "resolution": "4K"}, (144, 256)),
        ({"aspect_ratio": "21:9", "resolution": "1K"}, (64, 27)),
        ({"aspect_ratio": "2:3", "resolution": "low"}, (43, 64)),
        ({"aspect_ratio": "4:5", "resolution": "medium"}, (102, 128)),
        ({"aspect_ratio": "3:2", "resolution": "high"}, (256, 171)),
    ],
)
def test_the_image_is_a_valid_png_of_the_requested_shape(
    fake_magnific: FakeMagnific, body: dict[str, str], size: tuple[int, int]
) -> None:
    response = completed_image(fake_magnific, **body)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert int(response.headers["content-length"]) == len(response.content)
    assert read_png(response.content)[:2] == size


def test_the_image_is_a_gradient_that_compresses_well(fake_magnific: FakeMagnific) -> None:
    png = completed_image(fake_magnific, aspect_ratio="16:9").content
    width, height, scanlines = read_png(png)
    rows = unfilter(width, height, scanlines)

    assert rows[0][:3] == bytes([0, 0, 128])
    assert rows[-1][-3:] == bytes([255, 255, 128])
    assert len(png) < len(scanlines) / 10


def test_image_scale_one_gives_the_full_size() -> None:
    fake = FakeMagnific(image_scale=1.0)
    width, height, _ = read_png(completed_image(fake, aspect_ratio="16:9", resolution="1K").content)
    assert (width, height) == (1024, 576)


def test_image_min_bytes_pads_a_still_valid_png() -> None:
    fake = FakeMagnific(image_min_bytes=200_000)
    png = completed_image(fake, aspect_ratio="1:1").content
    assert len(png) >= 200_000
    assert read_png(png)[:2] == (128, 128)


@pytest.mark.parametrize(
    ("option", "value"), [("image_scale", 0), ("image_scale", -1.0), ("image_min_bytes", -1)]
)
def test_bad_image_options_are_refused(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        FakeMagnific(**{option: value})  # type: ignore[arg-type]


def test_an_image_is_not_served_before_completion_nor_for_a_failed_task(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    running = create(http)
    fake_magnific.fail_task_next()
    failed = create(http)
    fake_magnific.advance(4)
    assert http.get(f"/_fake/images/{running}.png").status_code == 404
    fake_magnific.advance(1)
    assert http.get(f"/_fake/images/{running}.png").status_code == 200
    assert http.get(f"/_fake/images/{failed}.png").json() == {"message": "AI resource not found"}


def test_image_urls_follow_the_origin_the_task_was_created_through(
    fake_magnific: FakeMagnific,
) -> None:
    client = httpx.Client(
        base_url="http://localhost:8080",
        headers={"x-magnific-api-key": KEY},
        transport=fake_magnific.transport(),
    )
    task_id = create(client)
    fake_magnific.advance(5)
    assert client.get(task_url(task_id)).json()["data"]["generated"] == [
        f"http://localhost:8080/_fake/images/{task_id}.png"
    ]


def test_image_downloads_are_logged_and_can_fail(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    task_id = create(http)
    fake_magnific.advance(5)
    fake_magnific.fail_next(503, on="image")

    assert http.get(f"/_fake/images/{task_id}.png").status_code == 503
    assert http.get(f"/_fake/images/{task_id}.png").status_code == 200
    assert fake_magnific.count(operation="image") == 2
