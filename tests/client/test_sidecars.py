"""Every image the package downloads gets its provenance sidecar: library, batch and CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nano_banana_pro import AsyncNanoBananaPro, NanoBananaPro
from nano_banana_pro.sidecar import SIDECAR_SCHEMA_VERSION, read_sidecar, sidecar_path
from nano_banana_pro.testing import FakeMagnific
from tests.client.conftest import AsyncDriven

KEY = "sk-sidecar-test-1234567890"


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    fake = FakeMagnific(api_key=KEY)
    if request.param == "sync":
        made: Any = NanoBananaPro(api_key=KEY, transport=fake.transport(), clock=fake.clock)
    else:
        made = AsyncDriven(
            AsyncNanoBananaPro(api_key=KEY, transport=fake.async_transport(), clock=fake.clock)
        )
    yield made
    made.close()


def test_a_downloaded_image_says_what_made_it(client: Any, tmp_path: Path) -> None:
    task = client.generate(
        "A raccoon in a hat",
        aspect_ratio="16:9",
        reference_images=["https://example.com/hat.png"],
        extra_body={"guidance_scale": 7},
    )
    [image] = client.download(task, tmp_path)

    document = json.loads(sidecar_path(image).read_text())
    assert document["schema_version"] == SIDECAR_SCHEMA_VERSION
    assert (document["image"], document["task_id"]) == (image.name, task.task_id)
    assert document["prompt"] == "A raccoon in a hat"
    assert document["request"] == {
        "prompt": "A raccoon in a hat",
        "aspect_ratio": "16:9",
        "resolution": "2K",
        "reference_images": [{"image": "https://example.com/hat.png", "mime_type": "image/png"}],
        "guidance_scale": 7,
    }
    steps = [step["what"] for step in document["history"]]
    assert steps[0] == "created"
    assert "COMPLETED" in steps
    assert steps[-1] == "downloaded"
    assert document["source"] == {"url": task.generated[0], "expires": True}
    assert document["batch"] is None
    assert KEY not in sidecar_path(image).read_text()


def test_a_task_created_elsewhere_says_its_request_is_unknown(client: Any, tmp_path: Path) -> None:
    made = client.generate("A raccoon made by another program")
    other = tmp_path / "other"
    client._core._origins = type(client._core._origins)()  # a fresh process knows nothing
    [image] = client.download(made.task_id, other)
    sidecar = read_sidecar(sidecar_path(image))
    assert sidecar.request is None
    assert [what for what, _ in sidecar.history] == ["downloaded"]


def test_sidecar_false_writes_none_and_removes_a_stale_one(client: Any, tmp_path: Path) -> None:
    task = client.generate("A raccoon")
    [image] = client.download(task, tmp_path)
    [again] = client.download(task, tmp_path, overwrite=True, sidecar=False)
    assert again == image
    assert not sidecar_path(image).exists()  # never a sidecar describing another download


def test_a_batch_items_images_carry_its_ledger_key(client: Any, tmp_path: Path) -> None:
    [result] = client.generate_many(["A raccoon in a batch"], download_to=tmp_path)
    [image] = result.files
    sidecar = read_sidecar(sidecar_path(image))
    assert (sidecar.batch_key, sidecar.batch_index) == (result.key, 0)
    assert sidecar.prompt == "A raccoon in a batch"
    assert [what for what, _ in sidecar.history][:2] == ["creating", "created"]
