"""Check that a file is a PNG that decodes, of a given aspect ratio (used by `make demo`).

Usage: python scripts/check_png.py IMAGE.png --aspect-ratio 16:9

Checks the signature, every chunk's CRC, IHDR first and IEND last, that the IDAT data
zlib-decompresses to exactly the scanlines IHDR announces, and that width:height matches the
ratio (to within the rounding of each side to whole pixels). Stdlib only; exits 1 on failure.
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
import zlib
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by PNG colour type


class InvalidPngError(Exception):
    """The file is not the PNG it should be; the message says why."""


def read_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, payload) chunks, each CRC checked."""
    if not data.startswith(SIGNATURE):
        raise InvalidPngError("no PNG signature")
    chunks, position = [], len(SIGNATURE)
    while position < len(data):
        if position + 12 > len(data):
            raise InvalidPngError(f"truncated chunk header at byte {position}")
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        payload = data[position + 8 : position + 8 + length]
        crc_bytes = data[position + 8 + length : position + 12 + length]
        if len(payload) != length or len(crc_bytes) != 4:
            raise InvalidPngError(f"chunk {kind!r} is cut short")
        if struct.unpack(">I", crc_bytes)[0] != zlib.crc32(kind + payload):
            raise InvalidPngError(f"chunk {kind!r} has a bad CRC")
        chunks.append((kind, payload))
        position += 12 + length
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise InvalidPngError("IHDR must come first and IEND last")
    return chunks


def decoded_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG whose image data decompresses to what its header announces."""
    chunks = read_chunks(data)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if colour not in CHANNELS or width == 0 or height == 0:
        raise InvalidPngError(f"unexpected header: {width}x{height}, colour type {colour}")
    try:
        scanlines = zlib.decompress(
            b"".join(payload for kind, payload in chunks if kind == b"IDAT")
        )
    except zlib.error as error:
        raise InvalidPngError(f"image data does not decompress: {error}") from None
    row_bytes = math.ceil(width * CHANNELS[colour] * depth / 8)
    if interlace == 0 and len(scanlines) != height * (1 + row_bytes):
        raise InvalidPngError(
            f"{len(scanlines)} bytes of scanlines, expected {height * (1 + row_bytes)}"
        )
    return width, height


def check_ratio(width: int, height: int, aspect_ratio: str) -> None:
    """Fail unless width:height is the ratio, each side having been rounded to a whole pixel."""
    ratio_width, ratio_height = (int(part) for part in aspect_ratio.split(":"))
    if abs(width * ratio_height - height * ratio_width) > (ratio_width + ratio_height) / 2:
        raise InvalidPngError(f"{width}x{height} is not {aspect_ratio}")


def main() -> int:
    """Check the file named on the command line; 0 when it passes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path)
    parser.add_argument("--aspect-ratio", required=True, help="W:H, e.g. 16:9")
    args = parser.parse_args()
    try:
        width, height = decoded_size(args.image.read_bytes())
        check_ratio(width, height, args.aspect_ratio)
    except (OSError, InvalidPngError) as error:
        print(f"{args.image}: not a valid {args.aspect_ratio} PNG: {error}", file=sys.stderr)
        return 1
    print(f"{args.image}: valid PNG, {width}x{height} pixels, {args.aspect_ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
