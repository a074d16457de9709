"""`AsyncNanoBananaPro`: the asyncio client for the Magnific Nano Banana Pro API."""

from __future__ import annotations

import builtins
import functools
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, Unpack

import httpx

from .._base import ClientCore, check_concurrency, per_call_wait_timeout, task_id_of
from .._config import DEFAULT_MAX_RETRIES, DEFAULT_RATE_LIMIT, DEFAULT_WAIT_TIMEOUT
from .._polling import PollSchedule
from .._ratelimit import RateLimit
from .._retry import about_create
from ..clock import Clock
from ..task import Task
from .calls import AsyncCalls
from .seam import AsyncImageHost, AsyncServiceApi
from .watcher import AsyncWatcher

if TYPE_CHECKING:
    from .._batch import BatchResult
    from ..ledger import TaskLedger
    from ..options import CreateOptions
    from .download import AsyncDownloader

# Batches, the ledger, downloads and request checks are imported where first used: a program
# that only imports the client pays for none of them (benchmark B3).

__all__ = ["AsyncNanoBananaPro"]


class AsyncNanoBananaPro:
    """Client for the Magnific Nano Banana Pro API.

    Args:
        api_key: The API key; defaults to `MAGNIFIC_API_KEY`.
        base_url: The API's URL; defaults to `MAGNIFIC_BASE_URL`, then https://api.magnific.com.
        timeout: HTTP timeout per request, in seconds or as an `httpx.Timeout`
            (default: connect 10 s, read/write/pool 30 s).
        max_retries: Retries per call (default 2). A create is retried only when the service
            certainly did not act on it (429, 503, connection never made).
        wait_timeout: Overall deadline of `wait()` and `generate()`, in seconds (default 600).
        http_client: Your own `httpx.AsyncClient` (proxies, certificates); it is pointed at the
            API, and left open on `aclose()`.
        transport: An httpx transport for the API and downloads (for example a fake's).
        clock: Time source for backoff and polling (tests pass a virtual one).
        poll_schedule: How often `wait()` polls (by default it learns from this client's tasks).
        rate_limit: The budget of API requests, shared by all calls, and by other processes
            with `RateLimit(shared=path)` (default: inside the service's per-IP windows of 250
            requests in any 5 s and 1,200 in any 120 s); None disables it.

    Raises:
        InvalidRequestError: no API key, or a setting out of range.
        BudgetFileError: the rate limit's shared file cannot be used.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        poll_schedule: PollSchedule | None = None,
        rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
    ) -> None:
        self._core = ClientCore(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            wait_timeout=wait_timeout,
            clock=clock,
            poll_schedule=poll_schedule,
            rate_limit=rate_limit,
        )
        self._api = AsyncServiceApi(
            api_key=self._core.api_key,
            base_url=self._core.base_url,
            timeout=self._core.timeout,
            transport=transport,
            http_client=http_client,
        )
        self._calls = AsyncCalls(core=self._core, api=self._api)
        self._watcher = AsyncWatcher(
            get=self._calls.poll,
            list_tasks=self._calls.list_for,
            clock=self._core.clock,
            schedule=self._core.poll_schedule,
        )
        core = self._core
        self._images = AsyncImageHost(
            api_key=core.api_key, timeout=core.timeout, transport=transport
        )

    async def create(
        self,
        prompt: str,
        *,
        extra_body: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        **options: Unpack[CreateOptions],
    ) -> Task:
        """Create a generation task (billed). Returns at once; see `wait()` and `generate()`.

        Args:
            prompt: What to draw, 2 to 3000 characters.
            extra_body: Extra JSON fields sent as they are, for a field the service has shipped
                before this client knows it (never one of the options below).
            max_retries: Overrides the client's setting for this call.
            **options: `aspect_ratio` (an `AspectRatio` or `"16:9"`), `resolution` (a
                `Resolution` or `"4K"`), `reference_images` (up to 14: URLs, dicts with
                `image`, `mime_type`, `text`, or `ReferenceImage`s), `webhook_url` (notified
                on each status change): see `CreateOptions`.

        Raises:
            InvalidRequestError: a parameter is refused; nothing was sent.
            APIError: the service refused or failed (`task_id` is None: on a 500, a task may
                exist anyway, and the message says to check `list()` before creating again).
            APIConnectionError: the service could not be reached or did not answer (when
                `request_sent`, the message says a task may exist, as above).
        """
        from ..request import build_create_request

        body = build_create_request(prompt=prompt, extra_body=extra_body, **options)
        with about_create():
            return await self._calls.create(body, policy=self._core.policy(max_retries))

    async def get(self, task: Task | str, *, max_retries: int | None = None) -> Task:
        """The task's current state.

        Raises:
            InvalidRequestError: `task` is neither a Task nor a task id.
            NotFoundError: no such task (ids expire).
            APIError: the service refused or failed.
            APIConnectionError: the service could not be reached or did not answer.
        """
        policy = self._core.policy(max_retries)
        return await self._calls.get(task_id_of(task), policy=policy, deadline=None)

    async def list(self, *, max_retries: int | None = None) -> list[Task]:
        """The key's tasks (ids and statuses only; `get()` one for its images).

        Raises:
            APIError: the service refused or failed.
            APIConnectionError: the service could not be reached or did not answer.
        """
        return await self._calls.list(policy=self._core.policy(max_retries))

    async def wait(
        self,
        task: Task | str,
        *,
        wait_timeout: float | None = None,
        on_update: Callable[[Task], object] | None = None,
        timeout: float | None = None,
    ) -> Task:
        """Poll until the task COMPLETED, and return it.

        Args:
            task: A `Task` (its state counts as the first poll) or a task id (to resume a
                wait cut short).
            wait_timeout: Overall deadline in seconds (default: the client's `wait_timeout`);
                retries never extend it.
            on_update: Called with the task on every status change.
            timeout: Deprecated name of `wait_timeout` (a `DeprecationWarning`).

        Raises:
            TaskFailedError: the task FAILED (`.task` holds it).
            WaitTimeoutError: the deadline passed first; the task may still finish.
            NanoBananaProError: polling failed; `.task_id` says which task to resume.
        """
        seconds = per_call_wait_timeout(wait_timeout, timeout)
        state = self._core.start_wait(task, timeout=seconds, on_update=on_update)
        first = task if isinstance(task, Task) else None
        return await self._watcher.wait(state, first)

    async def generate(
        self,
        prompt: str,
        *,
        extra_body: Mapping[str, Any] | None = None,
        wait_timeout: float | None = None,
        on_update: Callable[[Task], object] | None = None,
        timeout: float | None = None,
        **options: Unpack[CreateOptions],
    ) -> Task:
        """Create a task and wait until it COMPLETED. `on_update` first sees the new task.

        Takes the parameters of `create()` and the `wait_timeout` and `on_update` of `wait()`
        (`timeout` is the deprecated name of `wait_timeout`).

        Raises:
            InvalidRequestError: a parameter is refused; nothing was sent.
            TaskFailedError: the task FAILED.
            WaitTimeoutError: the deadline passed first (`.task_id` to resume).
            NanoBananaProError: creating or polling failed (after creation, `.task_id` is set).
        """
        seconds = per_call_wait_timeout(wait_timeout, timeout)  # checked before the billed create
        task = await self.create(prompt, extra_body=extra_body, **options)
        return await self.wait(task, wait_timeout=seconds, on_update=on_update)

    async def generate_many(
        self,
        requests: Iterable[str | Mapping[str, Any]],
        *,
        concurrency: int = 8,
        download_to: str | os.PathLike[str] | None = None,
        overwrite: bool = False,
        sidecar: bool = True,
        wait_timeout: float | None = None,
        ledger: str | os.PathLike[str] | TaskLedger | None = None,
        retry_failed: bool = False,
        recreate_ambiguous: bool = False,
        on_created: Callable[[int, Task], object] | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
        timeout: float | None = None,
    ) -> builtins.list[BatchResult]:
        """Generate many images, `concurrency` at a time, each created once.

        Args:
            requests: Prompts, or dicts of `create()` parameters (`prompt`, the
                `CreateOptions`, `extra_body`), or dicts with a `task_id` to resume an existing
                task: it is waited for and downloaded, never created (its other parameters
                are only kept in the result's `parameters`).
            concurrency: Items in flight at once (threads, or tasks on the event loop).
            download_to: Save each completed item's images into this folder (checked, and
                created if missing, before anything is sent).
            overwrite: Replace existing files when downloading.
            sidecar: Write each image's provenance beside it (see `download()`), with the
                item's ledger key and position.
            wait_timeout: Deadline of each item's wait, and of the retries of its create
                (default: the client's `wait_timeout`).
            ledger: A `TaskLedger`, or the path of its file: the durable record of each item's
                task, matched by content. Run the same items again with the same ledger and
                nothing is created twice: completed items are skipped, created ones resumed.
                By default the record lives in memory, for this call only.
            retry_failed: Create anew the items whose task FAILED in an earlier run (billed).
            recreate_ambiguous: Create anew the items whose create was sent in an earlier run
                but never answered: a task may exist for them (check `list()` first).
            on_created: Called with an item's index and its new task as soon as the task is
                created, before the wait: the moment to record a billed task's id.
            on_result: Called with each item's result as it finishes (any order).
            timeout: Deprecated name of `wait_timeout` (a `DeprecationWarning`).

        Returns:
            One result per item, in input order: a completed task (with its files) or the
            error, with the task id whenever a task was created. Invalid items (including a
            `task_id` that is not a non-empty string) get an `InvalidRequestError` and send
            nothing; an item whose create was sent and never answered an
            `AmbiguousCreateError`.

        Raises:
            InvalidRequestError: `requests` is not a list, `concurrency` is below 1, or the
                download folder cannot be used (before anything is sent).
            LedgerError: the ledger is in use by another run, newer, or damaged (an item it
                cannot write gets a `LedgerError` result instead, with its task id).
            BaseException: any other exception (Ctrl-C, a cancellation, a callback's) stops
                the batch and propagates: items not started never start; running ones finish
                (threads) or are cancelled (event loop), `on_created` having named their tasks.
        """
        from .._batch import prepare_batch
        from .._download import target_folder
        from ..ledger import TaskLedger
        from .batch import AsyncBatchRun

        items = prepare_batch(requests)
        check_concurrency(concurrency)
        seconds = per_call_wait_timeout(wait_timeout, timeout)
        item_timeout = self._core.wait_timeout if seconds is None else seconds
        folder = None if download_to is None else target_folder(download_to)
        book = ledger if isinstance(ledger, TaskLedger) else TaskLedger(ledger or ":memory:")
        try:
            with book.run(), self._core.history.kept_in(book):
                run = AsyncBatchRun(
                    client=self,
                    ledger=book,
                    clock=self._core.clock,
                    folder=folder,
                    overwrite=overwrite,
                    sidecar=sidecar,
                    timeout=item_timeout,
                    retry_failed=retry_failed,
                    recreate_ambiguous=recreate_ambiguous,
                    on_created=on_created,
                    on_result=on_result,
                )
                return await run.run(items, concurrency=concurrency)
        finally:
            if book is not ledger:
                book.close()

    async def download(
        self,
        task: Task | str,
        out_dir: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        sidecar: bool = True,
    ) -> builtins.list[Path]:
        """Save the task's images into `out_dir` as `<task_id>_<index>.<ext>`; download promptly.

        Args:
            task: A COMPLETED `Task`, or a task (or its id) to `get()` first.
            out_dir: The folder, created if missing.
            overwrite: Replace files already there.
            sidecar: Write each image's provenance beside it (`<image>.json`: the request this
                client sent, the task's history, the source URL; see `nano_banana_pro.sidecar`).

        Raises:
            InvalidRequestError: the task has not COMPLETED, or `out_dir` is not a folder.
            DownloadError: a URL is not http(s), or a body was cut short.
            OutputError: a file is in the way, or the disk refused (full, no permission).
            APIError: the image host answered with an error (an expired URL: `get()` again).
            APIConnectionError: the image host could not be reached.
        """
        if not isinstance(task, Task) or not task.is_completed:
            task = await self.get(task)
        provenance = self._core.provenance(task.task_id) if sidecar else None
        return await self._downloader.save(
            task, out_dir, overwrite=overwrite, provenance=provenance
        )

    @functools.cached_property
    def _downloader(self) -> AsyncDownloader:
        from .download import AsyncDownloader

        return AsyncDownloader(
            images=self._images, policy=self._core.retry_policy, clock=self._core.clock
        )

    async def aclose(self) -> None:
        """Close the HTTP connections (not an `http_client` you passed in), the budget file."""
        await self._api.aclose()
        await self._images.aclose()
        self._core.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return self._core.describe(type(self).__name__)
