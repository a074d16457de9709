"""Batches: what one item of `generate_many` asks for, and what became of it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import attrs

from nano_banana_pro_api.models import CreateImageRequest

from .errors import AmbiguousCreateError, InvalidRequestError, NanoBananaProError, TaskFailedError
from .ledger import ItemState, LedgerItem, TaskLedger, item_key
from .options import OPTION_NAMES
from .request import build_create_request
from .task import Task, TaskStatus

__all__ = [
    "BatchRequest",
    "BatchResult",
    "CreateIntent",
    "LedgerIntent",
    "ambiguous_error",
    "item_result",
    "prepare_batch",
    "recorded_outcome",
]

#: The parameters one batch item may set: those of `create()`.
ITEM_PARAMETERS = ("prompt", *OPTION_NAMES, "extra_body")
#: Set instead, it names an existing task to wait for and download: nothing is created.
RESUME_PARAMETER = "task_id"


@attrs.frozen(kw_only=True)
class BatchRequest:
    """One item of a batch, as given, and what to do: create `body`, or resume `task_id`.

    Attributes:
        key: Its key in the ledger: from its content, never its position (`item_key`).
    """

    index: int
    parameters: Mapping[str, Any]
    body: CreateImageRequest | None = None
    task_id: str | None = None
    error: InvalidRequestError | None = None
    key: str = ""

    @property
    def content(self) -> dict[str, Any]:
        """What its key is made of: its normalised body, or the task it resumes."""
        if self.body is not None:
            return self.body.to_dict()
        return {RESUME_PARAMETER: self.task_id}


@attrs.frozen(kw_only=True)
class BatchResult:
    """What became of one batch item.

    Attributes:
        index: The item's position in the input.
        parameters: The item's parameters, as given (a prompt becomes `{"prompt": ...}`).
        task: The task as last seen (COMPLETED on success), or None when none was created.
        error: Why the item did not complete, or None. `InvalidRequestError`: nothing was sent;
            `AmbiguousCreateError`: a task may exist whose id never came back.
        files: The downloaded images, when a download folder was given.
        key: The item's key in the ledger (empty for an invalid item).
        recorded: True when nothing was sent for it this time: its outcome is the ledger's, from
            an earlier run (completed with its files there, or failed, or ambiguous).
    """

    index: int
    parameters: Mapping[str, Any]
    task: Task | None = None
    error: NanoBananaProError | None = None
    files: tuple[Path, ...] = ()
    key: str = ""
    recorded: bool = False

    @property
    def ok(self) -> bool:
        """True when the task COMPLETED (and its images were saved, if asked)."""
        return self.error is None and self.task is not None and self.task.is_completed

    @property
    def task_id(self) -> str | None:
        """The id of the task created for this item, if any: never lost, even on error."""
        if self.task is not None:
            return self.task.task_id
        return self.error.task_id if self.error is not None else None


def prepare_batch(requests: Iterable[str | Mapping[str, Any]]) -> list[BatchRequest]:
    """Validate every item before anything is sent; invalid items carry their error.

    Raises:
        InvalidRequestError: `requests` is a single string, not a list of prompts.
    """
    if isinstance(requests, str | bytes):
        raise InvalidRequestError("requests", "pass a list of prompts or of parameter dicts")
    prepared = [_prepare(index, item) for index, item in enumerate(requests)]
    seen: Counter[str] = Counter()
    keyed = []
    for item in prepared:
        if item.error is None:  # the same body twice is two items: its occurrence tells them apart
            asked = _what_is_asked(item.content)
            canonical = json.dumps(asked, sort_keys=True)
            item = attrs.evolve(item, key=item_key(asked, seen[canonical]))
            seen[canonical] += 1
        keyed.append(item)
    return keyed


def _what_is_asked(content: dict[str, Any]) -> dict[str, Any]:
    """An item's identity: what it asks for, not where its news goes (`webhook_url`).

    A batch resumed with another `--webhook-url` creates nothing again.
    """
    return {name: value for name, value in content.items() if name != "webhook_url"}


class CreateIntent(Protocol):
    """Told of each attempt of a create, so that a crash mid-POST is known to be ambiguous."""

    def sending(self) -> None:
        """The POST is about to be sent."""

    def not_sent(self) -> None:
        """The attempt certainly made no task (refused, or never sent)."""


@attrs.frozen
class LedgerIntent:
    """A `CreateIntent` recorded in the ledger: `creating` before each POST, `pending` after."""

    ledger: TaskLedger
    key: str

    def sending(self) -> None:
        """Commit the intent before the billed POST goes out."""
        self.ledger.mark_creating(self.key)

    def not_sent(self) -> None:
        """Back to pending: nothing was billed."""
        self.ledger.mark_pending(self.key)


def recorded_outcome(
    item: BatchRequest,
    entry: LedgerItem | None,
    *,
    want_files: bool,
    retry_failed: bool,
    recreate_ambiguous: bool,
) -> BatchResult | str | None:
    """What the ledger says: a result it holds already, a task id to resume, or None to create.

    A task is never created for an item the ledger holds a task or an ambiguous create for,
    unless asked: `retry_failed` for a FAILED task, `recreate_ambiguous` for an ambiguous one.
    """
    if item.task_id is not None:
        return item.task_id
    if entry is None or entry.state in (ItemState.PENDING, ItemState.CREATING):
        return None
    task = (
        None
        if entry.task_id is None
        else Task(task_id=entry.task_id, status=TaskStatus(entry.status or "CREATED"))
    )
    done = entry.state == ItemState.COMPLETED and (entry.files or not want_files)
    if done and all(Path(file).is_file() for file in entry.files):
        files = tuple(Path(file) for file in entry.files)
        return item_result(item, task=task, files=files, recorded=True)
    if entry.state in (ItemState.CREATED, ItemState.COMPLETED):
        return entry.task_id  # still running, or its images are gone: the same task again
    if entry.state == ItemState.FAILED and task is not None and not retry_failed:
        return item_result(item, task=task, error=TaskFailedError(task), recorded=True)
    if entry.state == ItemState.AMBIGUOUS and not recreate_ambiguous:
        error = ambiguous_error(entry.error or "its answer was lost")
        return item_result(item, task=None, error=error, recorded=True)
    return None  # refused before (nothing billed), or asked to create anew


def ambiguous_error(cause: object) -> AmbiguousCreateError:
    """The error of an item whose create may have billed a task whose id never came back."""
    return AmbiguousCreateError(
        f"the create was sent but its answer lost ({cause}); a task may exist and be billed: "
        "check the key's tasks (client.list(), `nano-banana-pro list`) before creating it anew "
        "with recreate_ambiguous=True (CLI: --recreate-ambiguous)"
    )


def item_result(
    item: BatchRequest,
    *,
    task: Task | None,
    error: NanoBananaProError | None = None,
    files: tuple[Path, ...] = (),
    recorded: bool = False,
) -> BatchResult:
    """The result of `item`: its task, error and files; `recorded` when the ledger said it."""
    return BatchResult(
        index=item.index,
        parameters=item.parameters,
        task=task,
        error=error,
        files=files,
        key=item.key,
        recorded=recorded,
    )


def _prepare(index: int, item: str | Mapping[str, Any]) -> BatchRequest:
    parameters: Mapping[str, Any] = {"prompt": item} if isinstance(item, str) else item
    try:
        if not isinstance(parameters, Mapping):
            raise InvalidRequestError(
                f"requests[{index}]", f"must be a prompt or a dict, got {type(item).__name__}"
            )
        allowed = (*ITEM_PARAMETERS, RESUME_PARAMETER)
        unknown = sorted(set(parameters) - set(allowed))
        if unknown:
            raise InvalidRequestError(
                f"requests[{index}]", f"unknown parameters {unknown}", allowed=allowed
            )
        if RESUME_PARAMETER in parameters:
            return BatchRequest(
                index=index, parameters=parameters, task_id=_resumed_task_id(index, parameters)
            )
        options = {name: parameters[name] for name in OPTION_NAMES if name in parameters}
        body = build_create_request(
            prompt=parameters.get("prompt"),  # type: ignore[arg-type]  # checked inside
            extra_body=parameters.get("extra_body"),
            **options,
        )
    except InvalidRequestError as error:
        return BatchRequest(index=index, parameters=parameters, error=error)
    return BatchRequest(index=index, parameters=parameters, body=body)


def _resumed_task_id(index: int, parameters: Mapping[str, Any]) -> str:
    """The id of the task an item resumes; its other parameters are only kept for reporting.

    Raises:
        InvalidRequestError: the id is not a non-empty string.
    """
    task_id = parameters[RESUME_PARAMETER]
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidRequestError(
            f"requests[{index}].{RESUME_PARAMETER}",
            f"must be the id of an existing task (a non-empty string), got {task_id!r}",
        )
    return task_id
