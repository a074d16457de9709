"""Batches: what one item of `generate_many` asks for, and what became of it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from nano_banana_pro_api.models import CreateImageRequest

from .errors import InvalidRequestError, NanoBananaProError
from .options import OPTION_NAMES
from .request import build_create_request
from .task import Task

__all__ = ["BatchRequest", "BatchResult", "prepare_batch"]

#: The parameters one batch item may set: those of `create()`.
ITEM_PARAMETERS = ("prompt", *OPTION_NAMES, "extra_body")
#: Set instead, it names an existing task to wait for and download: nothing is created.
RESUME_PARAMETER = "task_id"


@attrs.frozen(kw_only=True)
class BatchRequest:
    """One item of a batch, as given, and what to do: create `body`, or resume `task_id`."""

    index: int
    parameters: Mapping[str, Any]
    body: CreateImageRequest | None = None
    task_id: str | None = None
    error: InvalidRequestError | None = None


@attrs.frozen(kw_only=True)
class BatchResult:
    """What became of one batch item.

    Attributes:
        index: The item's position in the input.
        parameters: The item's parameters, as given (a prompt becomes `{"prompt": ...}`).
        task: The task as last seen (COMPLETED on success), or None when none was created.
        error: Why the item did not complete, or None.
        files: The downloaded images, when a download folder was given.
    """

    index: int
    parameters: Mapping[str, Any]
    task: Task | None = None
    error: NanoBananaProError | None = None
    files: tuple[Path, ...] = ()

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
    return [_prepare(index, item) for index, item in enumerate(requests)]


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
