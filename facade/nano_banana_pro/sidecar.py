"""Provenance sidecars: `<image>.json` beside each downloaded image, saying what made it.

A month later the service's image URLs have expired and nobody remembers the prompt behind
`out/3f2c..._0.png`: its sidecar `out/3f2c..._0.png.json` does. It is written whole or not at
all (`write_sidecar`), holds only what it is given (never a header, so never the API key), and
carries a schema version that readers check (`read_sidecar`).

The document's fields, always in this order:

- `format`: `"nano-banana-pro/image-provenance"`, which marks the file as this package's sidecar.
- `schema_version`: `1` (`SIDECAR_SCHEMA_VERSION`); readers refuse a version they do not know.
- `image`: the image's file name; the sidecar sits beside it.
- `task_id`: the task that made the image.
- `prompt`: the prompt, a copy of `request.prompt` for `grep` and `jq` (null when unknown).
- `request`: the create body as sent: the prompt, every option with its default filled in,
  `reference_images`, the `extra_body` fields; null for a task created elsewhere.
- `request_note`: why `request` is null (the task was created elsewhere), else null.
- `history`: `[{"what", "at", "utc"}, ...]`, each step (created, the statuses seen, completed,
  `downloaded` last) with its unix time and its UTC time.
- `source`: `{"url", "expires": true}`: where the image was downloaded from; the URL expires.
- `package`: `{"name", "version"}` of the package that wrote the sidecar.
- `batch`: `{"key", "index"}` of the batch item the image was made for, or null.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ._files import remove_stale_temporaries, write_atomically
from ._sidecar_document import (
    DOWNLOADED,
    SIDECAR_FORMAT,
    SIDECAR_SCHEMA_VERSION,
    SIDECAR_SUFFIX,
    Sidecar,
    steps,
)
from .errors import OutputError, SidecarError

__all__ = [
    "SIDECAR_FORMAT",
    "SIDECAR_SCHEMA_VERSION",
    "SIDECAR_SUFFIX",
    "Provenance",
    "Sidecar",
    "discard_sidecar",
    "find_sidecars",
    "read_sidecar",
    "sidecar_for_download",
    "sidecar_path",
    "write_sidecar",
]


def sidecar_for_download(
    image: Path,
    *,
    task_id: str,
    source_url: str,
    request: Mapping[str, Any] | None,
    history: Iterable[tuple[str, float]] = (),
    batch_key: str | None = None,
    batch_index: int | None = None,
    downloaded_at: float | None = None,
) -> Sidecar:
    """The sidecar of an image just downloaded: its history ends with `downloaded`.

    Args:
        image: The image's path.
        task_id: The task that made it.
        source_url: The URL it was downloaded from.
        request: The create body as sent (`CreateImageRequest.to_dict()`, extra fields
            included), or None for a task created elsewhere.
        history: `(what, unix time)` steps known so far: `created`, statuses, `completed`.
        batch_key: The batch item's key, when the image was made for a batch item.
        batch_index: That item's position in its batch.
        downloaded_at: When the download finished (unix time); default now.

    Raises:
        TypeError: `request` is not JSON.
    """
    at = time.time() if downloaded_at is None else downloaded_at
    return Sidecar(
        image=image.name,
        task_id=task_id,
        request=request,
        source_url=source_url,
        history=[*history, (DOWNLOADED, at)],
        batch_key=batch_key,
        batch_index=batch_index,
    )


@attrs.frozen(kw_only=True)
class Provenance:
    """What a download knows of how its task was made: what its images' sidecars say.

    Attributes:
        request: The create body as sent, or None for a task created elsewhere.
        history: `(what, unix time)` steps known before the download.
        batch_key: The batch item's key, when the task was made for one.
        batch_index: That item's position in its batch.
    """

    request: Mapping[str, Any] | None = None
    history: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=steps)
    batch_key: str | None = None
    batch_index: int | None = None

    def sidecar(self, image: Path, *, task_id: str, source_url: str) -> Sidecar:
        """The sidecar of `image`, just downloaded from `source_url`.

        Raises:
            TypeError: the request is not JSON.
        """
        return sidecar_for_download(
            image,
            task_id=task_id,
            source_url=source_url,
            request=self.request,
            history=self.history,
            batch_key=self.batch_key,
            batch_index=self.batch_index,
        )


def sidecar_path(image: str | os.PathLike[str]) -> Path:
    """Where the sidecar of `image` goes: beside it, `.json` added to its name."""
    path = Path(image)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def write_sidecar(image: str | os.PathLike[str], sidecar: Sidecar) -> Path:
    """Write the sidecar of `image` beside it, whole or not at all; return its path.

    Raises:
        OutputError: the sidecar cannot be written (no temporary file is left).
    """
    target = sidecar_path(image)
    document = sidecar.to_document()
    try:
        text = json.dumps(document, indent=2, ensure_ascii=False)
        data = (text + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a prompt: escaped, still valid JSON
        data = (json.dumps(document, indent=2) + "\n").encode("ascii")
    try:
        write_atomically(target, data)
    except OSError as error:
        raise OutputError(
            f"cannot write the sidecar {target} ({error.strerror or error}): check the folder",
            path=target,
        ) from error
    return target


def discard_sidecar(image: str | os.PathLike[str]) -> None:
    """Remove the sidecar of `image`, before the image is replaced: never a stale description.

    Raises:
        OutputError: it exists and cannot be removed.
    """
    target = sidecar_path(image)
    remove_stale_temporaries(target, suffix=".tmp")
    try:
        target.unlink(missing_ok=True)
    except OSError as error:
        raise OutputError(
            f"cannot remove the old sidecar {target} ({error.strerror or error}): check the folder",
            path=target,
        ) from error


def read_sidecar(path: str | os.PathLike[str]) -> Sidecar:
    """Read a sidecar file (the `.json` one).

    Raises:
        SidecarError: it cannot be read, is not JSON, is not a sidecar, is damaged, or has a
            schema version this package does not read.
    """
    return Sidecar.from_document(_load(Path(path)), where=str(path))


def find_sidecars(folder: str | os.PathLike[str]) -> list[tuple[Path, Sidecar]]:
    """The `(image, sidecar)` pairs of a folder (not its subfolders), by image name.

    A `.json` file counts when its image is there. JSON that another program left beside an
    image (without this package's `format` field) is skipped.

    Raises:
        SidecarError: a sidecar of this package is damaged or from a newer schema version, a
            `.json` file beside an image is not JSON, or the folder cannot be listed.
    """
    folder = Path(folder)
    try:
        candidates = sorted(folder.glob(f"*{SIDECAR_SUFFIX}"))
    except OSError as error:
        raise SidecarError(f"cannot list {folder} ({error.strerror or error})") from None
    found = []
    for candidate in candidates:
        image = candidate.with_name(candidate.name.removesuffix(SIDECAR_SUFFIX))
        if not candidate.is_file() or not image.is_file():
            continue
        document = _load(candidate)
        if isinstance(document, Mapping) and document.get("format") == SIDECAR_FORMAT:
            found.append((image, Sidecar.from_document(document, where=str(candidate))))
    return found


def _load(path: Path) -> Any:
    """The parsed JSON of a file.

    Raises:
        SidecarError: it cannot be read or is not JSON.
    """
    try:
        return json.loads(path.read_bytes())
    except OSError as error:
        raise SidecarError(f"cannot read {path} ({error.strerror or error})") from None
    except ValueError as error:  # UnicodeDecodeError included
        raise SidecarError(f"{path} is not JSON ({error}): remove it or fix it") from None
