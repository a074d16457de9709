"""Running a batch on a ledger: each item created once, waited for, saved, and recorded."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .._batch import (
    BatchRequest,
    BatchResult,
    LedgerIntent,
    ambiguous_error,
    item_result,
    recorded_outcome,
)
from .._retry import certainly_not_acted_on
from .._synchronization import amap_bounded
from ..clock import Clock
from ..errors import LedgerError, NanoBananaProError, TaskFailedError
from ..ledger import TaskLedger
from ..sidecar import Provenance
from ..task import Task, TaskStatus

if TYPE_CHECKING:
    from .client import AsyncNanoBananaPro

__all__ = ["AsyncBatchRun"]


@attrs.define
class _Progress:
    """What is known of one item so far: its result, should the ledger fail to record it."""

    task: Task | None = None
    files: tuple[Path, ...] = ()


@attrs.frozen(kw_only=True)
class AsyncBatchRun:
    """One call of `generate_many`: its items, its ledger, and what to do with them."""

    client: AsyncNanoBananaPro
    ledger: TaskLedger
    clock: Clock
    folder: Path | None
    overwrite: bool
    sidecar: bool
    timeout: float
    retry_failed: bool
    recreate_ambiguous: bool
    on_created: Callable[[int, Task], object] | None
    on_result: Callable[[BatchResult], object] | None

    async def run(self, items: Sequence[BatchRequest], *, concurrency: int) -> list[BatchResult]:
        """Every item's result, in input order.

        Raises:
            BaseException: what stops the batch (see `generate_many`).
        """
        self.ledger.register([(item.key, item.content) for item in items if item.key])
        return await amap_bounded(self._finish, items, concurrency=concurrency)

    async def _finish(self, item: BatchRequest) -> BatchResult:
        progress = _Progress()
        try:
            result = await self._outcome(item, progress)
        except LedgerError as error:  # it could not be recorded: its result still names its task
            if error.task_id is None:
                error.task_id = item.task_id if progress.task is None else progress.task.task_id
            result = item_result(item, task=progress.task, error=error, files=progress.files)
        if self.on_result is not None:
            self.on_result(result)
        return result

    async def _outcome(self, item: BatchRequest, progress: _Progress) -> BatchResult:
        if item.error is not None:
            return BatchResult(index=item.index, parameters=item.parameters, error=item.error)
        entry = self.ledger.get(item.key)
        plan = recorded_outcome(
            item,
            entry,
            want_files=self.folder is not None,
            retry_failed=self.retry_failed,
            recreate_ambiguous=self.recreate_ambiguous,
        )
        if isinstance(plan, BatchResult):
            return plan

        def seen(update: Task) -> None:
            progress.task = update
            with contextlib.suppress(LedgerError):  # a status note only: the wait goes on
                self.ledger.note(item.key, status=str(update.status), error=None)

        try:
            target = plan if plan is not None else await self._create(item, progress)
            if isinstance(target, Task):
                progress.task = target
            task = await self.client.wait(target, wait_timeout=self.timeout, on_update=seen)
            progress.task = task
            if self.folder is not None:
                progress.files = await self._save(item, task, self.folder)
        except TaskFailedError as error:
            progress.task = error.task
            self.ledger.mark_failed(
                item.key, task_id=error.task.task_id, status=str(error.task.status), error=error
            )
            return item_result(item, task=error.task, error=error)
        except LedgerError:
            raise
        except NanoBananaProError as error:
            if error.task_id is not None or progress.task is not None:
                self.ledger.note(item.key, error=error)  # it stays created: the next run resumes
            return item_result(item, task=progress.task, error=error)
        self.ledger.mark_completed(
            item.key, task_id=task.task_id, files=[str(f) for f in progress.files]
        )
        return item_result(item, task=task, files=progress.files)

    async def _save(self, item: BatchRequest, task: Task, folder: Path) -> tuple[Path, ...]:
        """The item's images, each with a sidecar naming the item and what the ledger saw."""
        provenance = None
        if self.sidecar:
            entry = self.ledger.get(item.key)
            provenance = Provenance(
                request=None if item.body is None else item.body.to_dict(),
                history=() if entry is None else entry.history,
                batch_key=item.key,
                batch_index=item.index,
            )
        saved = await self.client._downloader.save(
            task, folder, overwrite=self.overwrite, provenance=provenance
        )
        return tuple(saved)

    async def _create(self, item: BatchRequest, progress: _Progress) -> Task:
        """The item's task, created once; the ledger knows of each attempt before it is sent.

        Raises:
            AmbiguousCreateError: the create was sent and its answer lost.
            NanoBananaProError: the create was refused, or never sent (nothing billed).
        """
        assert item.body is not None  # an item to create has a body (prepare_batch)
        # A create certainly not acted on (429, 503, never sent) is tried again until the
        # item's deadline: a batch item gives up on the service as late as its wait would.
        deadline = self.clock.monotonic() + self.timeout
        try:
            task = await self.client._calls.create(
                item.body, intent=LedgerIntent(self.ledger, item.key), deadline=deadline
            )
        except NanoBananaProError as error:
            if certainly_not_acted_on(error):
                self.ledger.mark_refused(item.key, error)
                raise
            if error.task_id is None:
                # The warning that a task may be billed comes first; a ledger that cannot
                # record it leaves the item `creating`, which the next run takes as ambiguous.
                with contextlib.suppress(LedgerError):
                    self.ledger.mark_ambiguous(item.key, error)
                raise ambiguous_error(error) from error
            # An answer off the spec that names its task: it is waited for like any other.
            task = Task(task_id=error.task_id, status=TaskStatus.CREATED)
        progress.task = task
        try:
            self.ledger.mark_created(item.key, task_id=task.task_id, status=str(task.status))
        finally:
            if self.on_created is not None:  # told of the billed task whatever the ledger did
                self.on_created(item.index, task)
        return task
