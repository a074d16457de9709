"""Small helpers shared by the fake's tests."""

from __future__ import annotations

import struct
import zlib

import httpx

from nano_banana_pro.testing import API_PATH

BASE_URL = "https://api.magnific.com"
KEY = "test-key"


def create(client: httpx.Client, **body: object) -> str:
    """Create a task (prompt defaulted) and return its id; fails the test on anything but 200."""
    response = client.post(API_PATH, json={"prompt": "A suited raccoon", **body})
    assert response.status_code == 200, response.text
    task_id: str = response.json()["data"]["task_id"]
    return task_id


def task_url(task_id: str) -> str:
    return f"{API_PATH}/{task_id}"


def read_png(data: bytes) -> tuple[int, int, bytes]:
    """Parse a PNG the way a decoder would: (width, height, decompressed scanlines).

    Checks the signature, every chunk's CRC, that IHDR comes first and IEND last, and that the
    scanlines have the size the header announces (8-bit RGB).
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        payload = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + payload), kind
        chunks.append((kind, payload))
        position += 12 + length
    assert chunks[0][0] == b"IHDR"
    assert chunks[-1] == (b"IEND", b"")
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color, interlace) == (8, 2, 0)
    scanlines = zlib.decompress(b"".join(p for k, p in chunks if k == b"IDAT"))
    assert len(scanlines) == height * (1 + 3 * width)
    return width, height, scanlines


def unfilter(width: int, height: int, scanlines: bytes) -> list[bytes]:
    """The pixel rows, undoing PNG filters 0 (None) and 2 (Up), the only ones the fake uses."""
    stride = 1 + 3 * width
    rows: list[bytes] = []
    previous = bytes(3 * width)
    for y in range(height):
        kind, line = scanlines[y * stride], scanlines[y * stride + 1 : (y + 1) * stride]
        assert kind in (0, 2)
        row = (
            line
            if kind == 0
            else bytes((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        )
        rows.append(row)
        previous = row
    return rows
