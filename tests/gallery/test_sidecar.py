"""Sidecars: every field as documented, written whole or not at all, read back, never the key."""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs
import pytest

from nano_banana_pro import DownloadError, SidecarError
from nano_banana_pro.sidecar import (
    SIDECAR_FORMAT,
    SIDECAR_SCHEMA_VERSION,
    Sidecar,
    discard_sidecar,
    find_sidecars,
    read_sidecar,
    sidecar_for_download,
    sidecar_path,
    write_sidecar,
)
from tests.gallery.conftest import API_KEY, HOSTILE_PROMPTS, MakeImages

FIELDS = [
    "format",
    "schema_version",
    "image",
    "task_id",
    "prompt",
    "request",
    "request_note",
    "history",
    "source",
    "package",
    "batch",
]
REQUEST = {
    "guidance_scale": 42,  # an extra_body field, as sent
    "prompt": "Un raton laveur en costume, café crème",
    "aspect_ratio": "16:9",
    "resolution": "2K",
    "reference_images": [{"image": "https://example.com/face.jpg", "mime_type": "image/jpeg"}],
}


def a_sidecar(image: Path, **changes: object) -> Sidecar:
    fields: dict[str, object] = {
        "task_id": "3f2c-task",
        "source_url": "https://cdn.example.com/3f2c_0.png?Expires=1",
        "request": REQUEST,
        "history": [("created", 1_764_072_000.0), ("COMPLETED", 1_764_072_021.5)],
        "batch_key": "abc-0",
        "batch_index": 3,
        "downloaded_at": 1_764_072_022.25,
    }
    fields.update(changes)
    return sidecar_for_download(image, **fields)


def test_the_document_holds_every_documented_field_in_order(tmp_path: Path) -> None:
    image = tmp_path / "3f2c-task_0.png"
    image.write_bytes(b"png")

    path = write_sidecar(image, a_sidecar(image))

    assert path == tmp_path / "3f2c-task_0.png.json" == sidecar_path(image)
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert list(document) == FIELDS
    assert document["format"] == SIDECAR_FORMAT
    assert document["schema_version"] == SIDECAR_SCHEMA_VERSION == 1
    assert document["image"] == "3f2c-task_0.png"
    assert document["prompt"] == REQUEST["prompt"]
    assert document["request"] == REQUEST  # every parameter as sent, the extra field included
    assert document["request_note"] is None
    assert document["history"] == [
        {"what": "created", "at": 1_764_072_000.0, "utc": "2025-11-25T12:00:00.000Z"},
        {"what": "COMPLETED", "at": 1_764_072_021.5, "utc": "2025-11-25T12:00:21.500Z"},
        {"what": "downloaded", "at": 1_764_072_022.25, "utc": "2025-11-25T12:00:22.250Z"},
    ]
    assert document["source"] == {
        "url": "https://cdn.example.com/3f2c_0.png?Expires=1",
        "expires": True,
    }
    assert document["package"]["name"] == "magnific-nano-banana-pro"
    assert document["batch"] == {"key": "abc-0", "index": 3}
    assert "café crème" in text  # not \u-escaped
    assert text.endswith("}\n")


def test_it_reads_back_what_it_wrote(tmp_path: Path) -> None:
    image = tmp_path / "a_0.png"
    sidecar = a_sidecar(image)

    assert read_sidecar(write_sidecar(image, sidecar)) == sidecar


def test_a_task_created_elsewhere_says_its_request_is_unknown(tmp_path: Path) -> None:
    image = tmp_path / "a_0.png"
    sidecar = a_sidecar(image, request=None, batch_key=None, batch_index=None)

    document = json.loads(write_sidecar(image, sidecar).read_text(encoding="utf-8"))

    assert document["request"] is None
    assert document["prompt"] is None
    assert "created elsewhere" in document["request_note"]
    assert document["batch"] is None
    assert read_sidecar(sidecar_path(image)) == sidecar


def test_the_request_is_copied_not_shared(tmp_path: Path) -> None:
    request = {"prompt": "A raccoon", "reference_images": ["https://example.com/a.png"]}
    sidecar = a_sidecar(tmp_path / "a_0.png", request=request)
    request["reference_images"].append("https://example.com/b.png")

    assert sidecar.request == {
        "prompt": "A raccoon",
        "reference_images": ["https://example.com/a.png"],
    }


def test_it_can_hold_only_what_it_is_given_no_headers(tmp_path: Path) -> None:
    """No field could take the request's headers; a real download's sidecar has no key."""
    assert [field.name for field in attrs.fields(Sidecar)] == [
        "image",
        "task_id",
        "request",
        "source_url",
        "history",
        "package_version",
        "batch_key",
        "batch_index",
    ]


def test_a_downloaded_image_s_sidecar_never_holds_the_api_key(
    tmp_path: Path, make_images: MakeImages
) -> None:
    (image,) = make_images(tmp_path, prompts=HOSTILE_PROMPTS[:1])

    data = sidecar_path(image).read_bytes()

    assert API_KEY.encode() not in data
    assert b"authorization" not in data.lower()
    assert read_sidecar(sidecar_path(image)).prompt == HOSTILE_PROMPTS[0]


def test_a_failed_write_keeps_the_old_sidecar_whole_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = tmp_path / "a_0.png"
    old = write_sidecar(image, a_sidecar(image)).read_bytes()

    def refuse(source: str, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(DownloadError, match=r"cannot write the sidecar .*a_0\.png\.json"):
        write_sidecar(image, a_sidecar(image, task_id="another"))

    assert sidecar_path(image).read_bytes() == old
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a_0.png.json"]


def test_a_missing_folder_is_a_download_error(tmp_path: Path) -> None:
    image = tmp_path / "gone" / "a_0.png"

    with pytest.raises(DownloadError, match="gone"):
        write_sidecar(image, a_sidecar(image))


def test_a_lone_surrogate_in_a_prompt_still_gives_valid_json(tmp_path: Path) -> None:
    image = tmp_path / "a_0.png"

    path = write_sidecar(image, a_sidecar(image, request={"prompt": "odd \ud800 text"}))

    assert read_sidecar(path).prompt == "odd \ud800 text"


def test_discarding_removes_the_sidecar_and_stale_temporary_files(tmp_path: Path) -> None:
    image = tmp_path / "a_0.png"
    write_sidecar(image, a_sidecar(image))
    stale = tmp_path / ".a_0.png.json.0123456789ab.tmp"
    stale.write_bytes(b"{")

    discard_sidecar(image)
    discard_sidecar(image)  # nothing there: fine

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"{not json", "is not JSON"),
        (b"\xff\xfe", "is not JSON"),
        (b'{"format": "someone-else"}', "is not a sidecar"),
        (b"[1, 2]", "is not a sidecar"),
        (
            json.dumps({"format": SIDECAR_FORMAT, "schema_version": 2}).encode(),
            r"schema version 2; .* reads version 1 only: upgrade it",
        ),
        (
            json.dumps({"format": SIDECAR_FORMAT, "schema_version": "1"}).encode(),
            "schema version '1'",
        ),
        (json.dumps({"format": SIDECAR_FORMAT, "schema_version": 1}).encode(), "is damaged"),
    ],
)
def test_reading_refuses_what_is_not_a_version_1_sidecar(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "a_0.png.json"
    path.write_bytes(content)

    with pytest.raises(SidecarError, match=says) as caught:
        read_sidecar(path)

    assert str(path) in str(caught.value)
    assert path.read_bytes() == content  # left untouched


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("task_id", 7),
        ("history", {"what": "x"}),
        ("request", "a prompt"),
        ("batch", [1]),
        ("history", [{"what": "created", "at": 1e20, "utc": "far"}]),  # no date is that late
    ],
)
def test_reading_refuses_a_field_of_the_wrong_type(
    tmp_path: Path, field: str, value: object
) -> None:
    image = tmp_path / "a_0.png"
    path = write_sidecar(image, a_sidecar(image))
    document = json.loads(path.read_text(encoding="utf-8"))
    document[field] = value
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(SidecarError, match="is damaged"):
        read_sidecar(path)


def test_a_folder_s_sidecars_are_those_beside_their_images(tmp_path: Path) -> None:
    for name in ("b_0.png", "a_0.png", "takeout.jpg"):
        (tmp_path / name).write_bytes(b"image")
    write_sidecar(tmp_path / "b_0.png", a_sidecar(tmp_path / "b_0.png", task_id="b"))
    write_sidecar(tmp_path / "a_0.png", a_sidecar(tmp_path / "a_0.png", task_id="a"))
    write_sidecar(tmp_path / "gone_0.png", a_sidecar(tmp_path / "gone_0.png"))  # no image
    (tmp_path / "takeout.jpg.json").write_text('{"title": "another program"}', encoding="utf-8")
    (tmp_path / "notes.json").write_text("[]", encoding="utf-8")

    found = find_sidecars(tmp_path)

    assert [(image.name, sidecar.task_id) for image, sidecar in found] == [
        ("a_0.png", "a"),
        ("b_0.png", "b"),
    ]


def test_a_folder_with_a_newer_sidecar_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a_0.png").write_bytes(b"image")
    newer = {"format": SIDECAR_FORMAT, "schema_version": 2, "anything": "new"}
    (tmp_path / "a_0.png.json").write_text(json.dumps(newer), encoding="utf-8")

    with pytest.raises(SidecarError, match=r"a_0\.png\.json has sidecar schema version 2"):
        find_sidecars(tmp_path)
