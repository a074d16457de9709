"""An image's width and height from its first bytes: PNG, JPEG and WebP, standard library only.

The gallery gives each `<img>` its `width` and `height`, so that the browser keeps the image's
aspect ratio (and reserves its box) before the file has loaded.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import IO

__all__ = ["image_size"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: JPEG start-of-frame markers (SOF0-SOF15, less DHT, JPG and DAC), which hold the size.
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
#: JPEG markers that stand alone, without a length: TEM, RST0-RST7, SOI, EOI.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})


def image_size(path: Path) -> tuple[int, int] | None:
    """`(width, height)` of a PNG, JPEG or WebP file; None when unknown or unreadable."""
    try:
        with path.open("rb") as handle:
            head = handle.read(32)
            if head.startswith(_PNG_SIGNATURE) and head[12:16] == b"IHDR":
                return _positive(*struct.unpack(">II", head[16:24]))
            if head.startswith(b"\xff\xd8"):
                handle.seek(2)
                return _jpeg_size(handle)
            if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
                return _webp_size(head)
    except (OSError, struct.error, IndexError):
        return None
    return None


def _jpeg_size(handle: IO[bytes]) -> tuple[int, int] | None:
    """Walk the segments up to the first start-of-frame one, seeking past the others."""
    while True:
        byte = handle.read(1)
        while byte == b"\xff":  # fill bytes before a marker
            byte = handle.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in _JPEG_STANDALONE:
            continue
        (length,) = struct.unpack(">H", handle.read(2))
        if marker in _JPEG_FRAMES:
            _precision, height, width = struct.unpack(">BHH", handle.read(5))
            return _positive(width, height)
        handle.seek(length - 2, 1)


def _webp_size(head: bytes) -> tuple[int, int] | None:
    """The size in a lossy (VP8), lossless (VP8L) or extended (VP8X) WebP header."""
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return _positive(width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return _positive((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return _positive(width, height)
    return None


def _positive(width: int, height: int) -> tuple[int, int] | None:
    return (width, height) if width > 0 and height > 0 else None
