"""Saving a task's images: streamed to a temporary file beside the target, then renamed.

A download that fails at any point leaves neither a partial target nor a temporary file, and an
existing file is replaced only when the caller asks. File names come from the task id and the
image's index, never from the URL, so a hostile URL cannot place a file outside the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

from ._files import open_temporary, remove_stale_temporaries
from ._translate import error_from_response
from ._url_checks import image_url_problem
from .errors import DownloadError, InvalidRequestError, OutputError
from .sidecar import sidecar_path
from .task import Task

__all__ = ["ImageTarget", "cleanup_on_failure", "plan_downloads", "remove_on_failure"]

_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
#: File names are at most 255 bytes on common file systems: room for the extension and the
#: temporary file's prefix and suffix.
_MAX_STEM = 200
#: Size of the chunks written to disk.
CHUNK_SIZE = 1 << 16
_PART = ".part"


def plan_downloads(
    task: Task, out_dir: str | os.PathLike[str], *, overwrite: bool
) -> list[tuple[str, ImageTarget]]:
    """Check everything before any transfer: the task, the folder, the URLs, files in the way.

    Raises:
        InvalidRequestError: the task has not COMPLETED, or `out_dir` is not a folder.
        DownloadError: a URL is not http(s), or a file is in the way.
    """
    if not task.is_completed:
        raise InvalidRequestError(
            "task", f"task {task.task_id} is {task.status}, not COMPLETED: wait() for it first"
        )
    folder = target_folder(out_dir)
    plan = []
    for index, url in enumerate(task.generated):
        check_image_url(url)
        target = ImageTarget(folder, task_id=task.task_id, index=index, overwrite=overwrite)
        target.refuse_existing()
        plan.append((url, target))
    return plan


def check_image_url(url: str) -> httpx.URL:
    """The URL, parsed, when it is an absolute http(s) URL.

    Raises:
        DownloadError: any other scheme (`file:`, `ftp:`...), no host, a host or port no
            connection can use, or not a URL at all.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise DownloadError(f"refusing to download {url!r}: not a valid URL") from None
    problem = image_url_problem(parsed)
    if problem is not None:
        raise DownloadError(f"refusing to download {url!r}: {problem}")
    return parsed


def target_folder(out_dir: str | os.PathLike[str]) -> Path:
    """The folder, created if missing, once shown to be writable: checked before any create.

    Raises:
        InvalidRequestError: it exists and is not a folder, or cannot be created or written.
    """
    folder = Path(out_dir)
    try:
        in_the_way = folder.exists() and not folder.is_dir()
        if not in_the_way:
            folder.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise InvalidRequestError(
            "out_dir", f"cannot create {folder} ({reason or error}): choose another folder"
        ) from error
    if in_the_way:
        raise InvalidRequestError(
            "out_dir", f"{folder} exists and is not a folder: choose a folder for the images"
        )
    try:
        # An unnamed file where the system has them (O_TMPFILE): a kill leaves nothing behind.
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise InvalidRequestError(
            "out_dir", f"cannot write to {folder} ({error.strerror}): choose another folder"
        ) from error
    return folder


class ImageTarget:
    """One image's destination: name, temporary file, atomic finish, cleanup on failure."""

    def __init__(self, folder: Path, *, task_id: str, index: int, overwrite: bool) -> None:
        self._folder = folder
        self._stem = _file_stem(task_id, index)
        self._overwrite = overwrite
        self.path: Path | None = None
        self._temp_path: Path | None = None
        self._expected_size: int | None = None
        self._encoded = False
        self.written = 0

    def refuse_existing(self) -> None:
        """Fail before any transfer when a file for this image (any extension) is in the way.

        Raises:
            DownloadError: such a file exists and overwrite was not asked for.
        """
        if self._overwrite:
            return
        for extension in (*_EXTENSIONS.values(), ".bin"):
            candidate = self._folder / f"{self._stem}{extension}"
            if candidate.exists():
                raise OutputError(
                    f"{candidate} exists; pass overwrite=True to replace it", path=candidate
                )

    def open(self, response: httpx.Response, *, url: str) -> IO[bytes]:
        """Check the answer, choose the final name from its content type, open a temp file.

        Raises:
            NanoBananaProError: the image host answered with an error (body already read).
            DownloadError: the answer is a page (text, JSON), or the target exists and
                overwrite was not asked for.
        """
        if not response.is_success:
            raise error_from_response(response)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type.startswith("text/") or content_type == "application/json":
            raise DownloadError(
                f"the image host answered with a {content_type} page, not an image: get() the "
                "task again for fresh image URLs"
            )
        extension = _EXTENSIONS.get(content_type) or _extension_from_url(url)
        self.path = self._folder / f"{self._stem}{extension}"
        self.written = 0
        length = response.headers.get("content-length")
        self._expected_size = int(length) if length and length.isdigit() else None
        # Content-Length counts the bytes as sent: encoded, when the host encoded them anyway.
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        self._encoded = encoding not in ("", "identity")
        slot = self._folder / self._stem
        with _disk(self.path):
            remove_stale_temporaries(slot, suffix=_PART)  # left by an interrupted earlier run
            handle = open_temporary(slot, suffix=_PART)
        self._temp_path = Path(handle.name)
        return handle

    def finish(self, handle: IO[bytes], *, received: int) -> Path:
        """Flush, check the length, and move the temporary file into place.

        Args:
            handle: The temporary file.
            received: The bytes that came over the wire, which Content-Length counts when the
                host encoded the image (it is saved decoded, and checked as sent).

        Raises:
            DownloadError: no bytes, or fewer or more than Content-Length.
            OutputError: the target appeared, or the disk refused (full, no permission).
        """
        if self.path is None or self._temp_path is None:
            raise RuntimeError("finish() called before open()")
        # No fsync: the rename already makes the file appear whole or not at all; forcing it to
        # disk would halve the throughput for a durability no caller asked for.
        with _disk(self.path):
            handle.flush()
            handle.close()
        if not self._encoded:
            received = self.written
        if self.written == 0:
            raise DownloadError("the image host sent an empty body, not an image; try again")
        if self._expected_size is not None and received != self._expected_size:
            raise DownloadError(
                f"image cut short: got {received} of {self._expected_size} bytes; try again"
            )
        with _disk(self.path):
            if self._overwrite:
                os.replace(self._temp_path, self.path)
            else:
                try:  # a hard link fails if the target appeared meanwhile: no silent overwrite
                    os.link(self._temp_path, self.path)
                except FileExistsError:
                    raise OutputError(
                        f"{self.path} exists; pass overwrite=True to replace it", path=self.path
                    ) from None
                finally:
                    self._temp_path.unlink(missing_ok=True)
        self._temp_path = None
        return self.path

    def discard(self, handle: IO[bytes] | None) -> None:
        """Remove the temporary file after a failure."""
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
        if self._temp_path is not None:
            self._temp_path.unlink(missing_ok=True)
            self._temp_path = None

    def write(self, handle: IO[bytes], chunk: bytes) -> None:
        """Write one chunk and count it.

        Raises:
            OutputError: the disk refused (full, a file size limit, an I/O error).
        """
        with _disk(self.path):
            handle.write(chunk)
        self.written += len(chunk)


@contextlib.contextmanager
def _disk(path: Path | None) -> Iterator[None]:
    """An `OSError` of the file system as an `OutputError` naming the file."""
    try:
        yield
    except OSError as error:
        where = "the image" if path is None else str(path)
        raise OutputError(
            f"cannot write {where} ({error.strerror or error}): free some space or choose "
            "another folder, then download again",
            path=path or "",
        ) from error


def _file_stem(task_id: str, index: int) -> str:
    """`<task_id>_<index>`, made safe; an id too long for a file name is cut and hashed."""
    stem = _SAFE_NAME.sub("_", f"{task_id}_{index}").lstrip(".") or f"image_{index}"
    if len(stem) <= _MAX_STEM:
        return stem
    digest = hashlib.sha256(task_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{stem[: _MAX_STEM - 40]}-{digest}_{index}"


def _extension_from_url(url: str) -> str:
    suffix = Path(httpx.URL(url).path).suffix.lower()
    return suffix if suffix in {".png", ".jpg", ".jpeg", ".webp"} else ".bin"


@contextlib.contextmanager
def cleanup_on_failure(target: ImageTarget) -> Iterator[list[IO[bytes]]]:
    """Yield a slot for the open handle; on any exception, remove the temporary file."""
    slot: list[IO[bytes]] = []
    try:
        yield slot
    except BaseException:
        target.discard(slot[0] if slot else None)
        raise


@contextlib.contextmanager
def remove_on_failure() -> Iterator[list[Path]]:
    """The images a download saved, removed with their sidecars if it then fails (all or none)."""
    saved: list[Path] = []
    try:
        yield saved
    except BaseException:
        for path in saved:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
                sidecar_path(path).unlink(missing_ok=True)
        raise
