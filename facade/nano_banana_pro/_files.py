"""Files the package writes: whole or not at all, never a temporary file left behind for long.

Every file is written to a temporary file beside its target and renamed into place. A process
killed meanwhile leaves that temporary file; the next write of the same target removes it first.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import IO

__all__ = ["open_temporary", "remove_stale_temporaries", "write_atomically"]


def open_temporary(target: Path, *, suffix: str) -> IO[bytes]:
    """A new temporary file beside `target` (`.<name>.<random><suffix>`), opened for writing.

    Made by `open()` in exclusive mode, so with mode 0666 less the umask (0644 under umask 022),
    not `tempfile`'s 0600: the finished file is the user's like any other.

    Raises:
        OSError: the folder cannot be written.
    """
    while True:
        path = target.parent / f".{target.name}.{secrets.token_hex(6)}{suffix}"
        try:
            return path.open("xb")
        except FileExistsError:  # a name drawn twice: draw again
            continue


def remove_stale_temporaries(target: Path, *, suffix: str) -> None:
    """Remove temporary files of `target` left by an earlier, interrupted write."""
    for stale in target.parent.glob(f".{target.name}.*{suffix}"):
        with contextlib.suppress(OSError):
            stale.unlink()


def write_atomically(target: Path, data: bytes) -> None:
    """Write `data` to `target`: readers see the old file or the new one, never a part.

    Raises:
        OSError: the folder cannot be written (the temporary file is removed).
    """
    remove_stale_temporaries(target, suffix=".tmp")
    handle = open_temporary(target, suffix=".tmp")
    try:
        with handle:
            handle.write(data)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
