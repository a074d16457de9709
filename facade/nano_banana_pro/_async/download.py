"""Saving a task's images, each with its provenance sidecar: streamed, retried, atomic."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import attrs

from .._config import DOWNLOAD_DEADLINE
from .._download import (
    CHUNK_SIZE,
    ImageTarget,
    cleanup_on_failure,
    plan_downloads,
    remove_on_failure,
)
from .._retry import RetryPolicy
from .._seam import request_deadline
from .._translate import AnswerTooLargeError, error_from_response, translated_failures
from ..clock import Clock
from ..errors import about_task
from ..sidecar import Provenance, discard_sidecar, write_sidecar
from ..task import Task
from .retry import call_with_retries
from .seam import AsyncImageHost

__all__ = ["AsyncDownloader"]


@attrs.frozen(kw_only=True)
class AsyncDownloader:
    """Downloads through the image host's connections, retried per the client's policy."""

    images: AsyncImageHost
    policy: RetryPolicy
    clock: Clock

    async def save(
        self,
        task: Task,
        out_dir: str | os.PathLike[str],
        *,
        overwrite: bool,
        provenance: Provenance | None,
    ) -> list[Path]:
        """Each image of a COMPLETED task, saved into `out_dir`; its sidecar beside it.

        All of them or none: when one fails, those saved before it are removed again, so that
        the same call can be made again.

        Raises:
            InvalidRequestError: the task has not COMPLETED, or `out_dir` is not a folder.
            DownloadError: a refused URL, a body cut short, a file in the way (`OutputError`).
            APIError: the image host answered with an error.
            APIConnectionError: the image host could not be reached.
        """
        with about_task(task.task_id), remove_on_failure() as saved:
            for url, target in plan_downloads(task, out_dir, overwrite=overwrite):
                path = await call_with_retries(
                    partial(self._save_one, task, url, target, provenance),
                    policy=self.policy,
                    clock=self.clock,
                    idempotent=True,
                )
                saved.append(path)
            return saved

    async def _save_one(
        self, task: Task, url: str, target: ImageTarget, provenance: Provenance | None
    ) -> Path:
        with (
            cleanup_on_failure(target) as slot,
            translated_failures(downloading=True),
            request_deadline(DOWNLOAD_DEADLINE),
        ):
            async with self.images.stream(url) as response:
                if not response.is_success:
                    try:
                        await response.aread()
                    except AnswerTooLargeError as error:  # its status's error all the same
                        raise error_from_response(response, unreadable=str(error)) from None
                handle = target.open(response, url=url)
                slot.append(handle)
                # Chunks are written with blocking calls: 64 KiB writes to a local file are
                # short, and the runtime dependencies hold no async file library.
                async for chunk in response.aiter_bytes(CHUNK_SIZE):
                    target.write(handle, chunk)
                assert target.path is not None  # named by open()
                discard_sidecar(target.path)  # an old sidecar never describes a new image
                path = target.finish(handle, received=response.num_bytes_downloaded)
        if provenance is not None:
            write_sidecar(path, provenance.sidecar(path, task_id=task.task_id, source_url=url))
        return path
