"""Image sizes from file headers: the fake's PNGs, and real JPEG and WebP files from Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image  # a dependency of matplotlib, in the dev extra

from nano_banana_pro._image_size import image_size
from nano_banana_pro.testing._png import png_bytes


def test_png(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(png_bytes(37, 21))

    assert image_size(path) == (37, 21)


@pytest.mark.parametrize(
    ("form", "options"),
    [
        ("JPEG", {"quality": 80}),
        ("JPEG", {"progressive": True}),
        ("JPEG", {"exif": b"Exif\x00\x00" + bytes(5000)}),  # a large segment before the frame
        ("WEBP", {"lossless": False}),
        ("WEBP", {"lossless": True}),
        ("WEBP", {"exif": b"Exif\x00\x00" + bytes(64)}),  # extended (VP8X)
    ],
)
def test_jpeg_and_webp(tmp_path: Path, form: str, options: dict[str, object]) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (123, 45), (200, 30, 60)).save(buffer, form, **options)
    path = tmp_path / "image"
    path.write_bytes(buffer.getvalue())

    assert image_size(path) == (123, 45)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"GIF89a....",
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff\xe0\x00",
        b"RIFF\x00\x00\x00\x00WEBPVP8L",
    ],
)
def test_unknown_or_cut_short_is_none(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "image"
    path.write_bytes(content)

    assert image_size(path) is None


def test_a_missing_file_is_none(tmp_path: Path) -> None:
    assert image_size(tmp_path / "gone.png") is None
