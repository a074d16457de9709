"""Images made the way users make them: generated with the fake, downloaded, given sidecars."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nano_banana_pro import NanoBananaPro
from nano_banana_pro.request import build_create_request
from nano_banana_pro.sidecar import sidecar_for_download, write_sidecar
from nano_banana_pro.testing import FakeMagnific, Schedule

#: Prompts a gallery must escape: markup, quotes of both kinds, an ampersand, an entity.
HOSTILE_PROMPTS = (
    'A suited raccoon smoking a pipe <script>alert("x")</script>',
    "A lighthouse at dusk, \"golden hour\" & 'long exposure' &amp; <b>grain</b>",
    'A tall window"><img src=x onerror=alert(1)> onto a rainy street',
    "A red fox asleep in fresh snow, panorama",
)
#: One aspect ratio per prompt, all different: the browser test checks each one's box.
RATIOS = ("16:9", "9:16", "1:1", "21:9")
API_KEY = "sk-gallery-test-5e3c1f0a9b7d"

MakeImages = Callable[..., list[Path]]


@pytest.fixture
def make_images() -> MakeImages:
    """Generate one image per (prompt, ratio) with the fake, download it, write its sidecar."""

    def make(folder: Path, *, prompts: tuple[str, ...] = HOSTILE_PROMPTS) -> list[Path]:
        fake = FakeMagnific(
            api_key=API_KEY,
            schedule=Schedule(in_progress_after=0.0, complete_after=1.0),
            image_scale=1 / 4,
        )
        paths = []
        with NanoBananaPro(api_key=API_KEY, transport=fake.transport(), clock=fake.clock) as client:
            for index, (prompt, ratio) in enumerate(zip(prompts, RATIOS, strict=False)):
                options = {"aspect_ratio": ratio, "resolution": "1K"}
                body = build_create_request(prompt=prompt, **options).to_dict()
                task = client.generate(prompt, **options)
                (path,) = client.download(task, folder)
                sidecar = sidecar_for_download(
                    path,
                    task_id=task.task_id,
                    source_url=task.generated[0],
                    request=body,
                    history=[("created", 1_764_072_000.0 + index), ("COMPLETED", 1_764_072_020.0)],
                    batch_key=f"key-{index}",
                    batch_index=index,
                )
                write_sidecar(path, sidecar)
                paths.append(path)
        return paths

    return make
