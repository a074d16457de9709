"""The gallery in a real browser: system Chromium, driven by Playwright (no browser download).

Skipped, with the reason, where Chromium or Playwright is missing (`make install` installs
Chromium with apt-get when it runs as root). With NANO_BANANA_PRO_UPDATE_SCREENSHOT=1 the
screenshot is also written to docs/images/gallery.png, the one the README shows.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nano_banana_pro.gallery import cards_from_records, write_gallery
from tests.conftest import REPO_ROOT
from tests.gallery.conftest import HOSTILE_PROMPTS, RATIOS, MakeImages

CHROMIUM = os.environ.get("NANO_BANANA_PRO_CHROMIUM") or shutil.which("chromium") or ""
#: Flags for a closed network: nothing to fetch, nothing to update, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = REPO_ROOT / "docs" / "images" / "gallery.png"
UPDATE = os.environ.get("NANO_BANANA_PRO_UPDATE_SCREENSHOT") == "1"
RATIO_TOLERANCE = 0.02

if not CHROMIUM or not Path(CHROMIUM).is_file():
    pytest.skip(
        f"Chromium not found ({CHROMIUM or 'no chromium on PATH'}): `make install` installs it "
        "with apt-get when run as root; NANO_BANANA_PRO_CHROMIUM names another binary",
        allow_module_level=True,
    )
playwright = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: run `make install`"
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=15_000
        )
        try:
            yield launched
        finally:
            launched.close()


def test_the_gallery_renders_with_no_errors_and_keeps_each_aspect_ratio(
    browser: Any, tmp_path: Path, make_images: MakeImages
) -> None:
    folder = tmp_path / "out"
    images = make_images(folder)
    page_path = write_gallery(
        folder,
        cards_from_records(batch_records(images), folder=folder),
        title="nano-banana-pro batch: prompts.txt",
        elapsed=83.0,
    )
    context = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type in ("error", "warning")
            and problems.append(f"console {message.type}: {message.text}")
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(page_path.as_uri(), wait_until="load")
    boxes = page.eval_on_selector_all(
        "img",
        """images => images.map(image => {
            const box = image.getBoundingClientRect();
            return {complete: image.complete, natural: [image.naturalWidth, image.naturalHeight],
                    box: [box.width, box.height], alt: image.alt};
        })""",
    )
    prompts = page.eval_on_selector_all(".prompt", "nodes => nodes.map(node => node.textContent)")
    scripts = page.eval_on_selector_all("script", "nodes => nodes.length")
    screenshot = page.screenshot(full_page=True)
    context.close()

    assert problems == []
    assert all(url.startswith("file://") for url in requested), requested
    assert prompts == [*HOSTILE_PROMPTS, *UNFINISHED]  # as text, markup and quotes included
    assert scripts == 0
    assert len(boxes) == len(RATIOS)
    for image, ratio in zip(boxes, RATIOS, strict=True):
        assert image["complete"], image
        assert image["alt"] in HOSTILE_PROMPTS
        ratio_width, ratio_height = (int(side) for side in ratio.split(":"))
        natural_width, natural_height = image["natural"]
        assert natural_width / natural_height == pytest.approx(
            ratio_width / ratio_height, rel=RATIO_TOLERANCE
        )
        width, height = image["box"]
        assert width > 50
        assert height > 50
        assert width / height == pytest.approx(ratio_width / ratio_height, rel=RATIO_TOLERANCE)
    check_screenshot(screenshot)
    if UPDATE:
        SCREENSHOT.write_bytes(screenshot)


#: Prompts of the batch's items that did not complete: a failed one, an ambiguous one.
UNFINISHED = ("A raccoon conducting an orchestra of owls", "A teapot shaped like a tortoise")


def batch_records(images: list[Path]) -> list[dict[str, Any]]:
    """The records `batch` keeps for its gallery: the images' items, then two unfinished."""
    completed = [
        {
            "line": index + 1,
            "index": index,
            "state": "completed",
            "status": "COMPLETED",
            "input": {"prompt": prompt, "aspect_ratio": ratio, "resolution": "1K"},
            "task_id": image.name.removesuffix("_0.png"),
            "files": [str(image)],
            "error": None,
        }
        for index, (image, prompt, ratio) in enumerate(
            zip(images, HOSTILE_PROMPTS, RATIOS, strict=True)
        )
    ]
    failed = {
        "line": 6,
        "index": 4,
        "state": "failed",
        "status": "FAILED",
        "input": {"prompt": UNFINISHED[0], "resolution": "4K"},
        "task_id": "0b9e51f2-failed",
        "files": [],
        "error": "task 0b9e51f2-failed FAILED; the service gives no reason.",
    }
    ambiguous = {
        "line": 7,
        "index": 5,
        "state": "ambiguous",
        "status": None,
        "input": {"prompt": UNFINISHED[1]},
        "task_id": None,
        "files": [],
        "error": "the create was sent but its answer lost (timed out)",
    }
    return [*completed, failed, ambiguous]


def check_screenshot(data: bytes) -> None:
    """A real PNG of the page's size, with the images' colours in it: not blank."""
    from PIL import Image  # a dependency of matplotlib, in the dev extra

    with Image.open(io.BytesIO(data)) as shot:
        assert shot.format == "PNG"
        assert shot.width == 1280
        assert shot.height >= 600
        colours = shot.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 1000  # the gradients of the generated images, and text
