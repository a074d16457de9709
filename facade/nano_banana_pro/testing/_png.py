"""Real, valid PNG images of a given size, built with the stdlib only (zlib and struct)."""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Mapping

__all__ = ["LONG_SIDE", "image_size", "png_bytes"]

LONG_SIDE: Mapping[str, int] = {
    "1K": 1024,
    "2K": 2048,
    "4K": 4096,
    "low": 1024,
    "medium": 2048,
    "high": 4096,
}
"""Pixels on the long side of an image, per resolution (the service does not document them)."""

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PADDING_CHUNK = b"faKe"  # ancillary (lowercase first letter), private: decoders skip it
_CHUNK_OVERHEAD = 12  # length, type and CRC


def image_size(aspect_ratio: str, resolution: str, *, scale: float) -> tuple[int, int]:
    """The (width, height) of an image with this aspect ratio and resolution, scaled.

    Args:
        aspect_ratio: `W:H`, as in the request (`16:9`).
        resolution: A resolution of the spec (`1K`, `2K`, `4K`, `low`, `medium`, `high`).
        scale: Factor applied to both sides (1.0 for the full size); each side is at least 1.
    """
    ratio_width, ratio_height = (int(part) for part in aspect_ratio.split(":"))
    pixels_per_unit = LONG_SIDE[resolution] / max(ratio_width, ratio_height)
    return (
        max(1, round(ratio_width * pixels_per_unit * scale)),
        max(1, round(ratio_height * pixels_per_unit * scale)),
    )


@functools.lru_cache(maxsize=32)
def png_bytes(width: int, height: int, *, min_bytes: int = 0) -> bytes:
    """An 8-bit RGB PNG of a smooth gradient (it compresses well), at least `min_bytes` long.

    Args:
        width: Pixels across.
        height: Pixels down.
        min_bytes: Pad the file with a private ancillary chunk up to this size (for download
            benchmarks); decoders ignore the chunk.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    body = (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(_scanlines(width, height)))
    )
    end = _chunk(b"IEND", b"")
    missing = min_bytes - len(body) - len(end)
    if missing > 0:
        body += _chunk(_PADDING_CHUNK, bytes(max(0, missing - _CHUNK_OVERHEAD)))
    return body + end


def _scanlines(width: int, height: int) -> bytes:
    """Red rises left to right, green top to bottom, blue is flat.

    The first row is stored as is (filter 0); the others as their difference from the row
    above (filter 2, "Up"), which is the same small pattern across the row: it compresses to
    almost nothing.
    """
    first = bytearray(1 + 3 * width)
    first[1::3] = bytes(x * 255 // max(1, width - 1) for x in range(width))
    first[3::3] = bytes([128]) * width
    rows = bytearray(first)
    for y in range(1, height):
        rise = (_green(y, height) - _green(y - 1, height)) & 0xFF
        rows += b"\x02" + bytes([0, rise, 0]) * width
    return bytes(rows)


def _green(y: int, height: int) -> int:
    return y * 255 // max(1, height - 1)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
