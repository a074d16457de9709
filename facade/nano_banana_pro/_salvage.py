"""The task id in a create's answer that is off the spec: a billed task is never lost to a parse.

A create answered with a 2xx whose body the spec does not describe (a 201, a field of the wrong
type, an id that is not a UUID) is an `APIResponseValidationError`, as for any call. But the
service may have made the task all the same, and when the body still names it, the error
carries its id (`task_id`): the caller waits for it instead of creating another.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from contextvars import ContextVar

import httpx

from ._redaction import redact
from .errors import APIResponseValidationError

__all__ = ["keep_answer", "salvaged_task_id"]

#: What a kept id may be: a UUID, or another short id of letters, digits and `._:-` (a longer or
#: odder one is no id, and would flood or garble the error's text).
_ID_LIKE = re.compile(r"[A-Za-z0-9._:-]{1,200}")
#: The answers of the create running in this context, kept by the response hook.
_answers: ContextVar[list[httpx.Response] | None] = ContextVar("create_answers", default=None)


@contextlib.contextmanager
def salvaged_task_id(*, api_key: str) -> Iterator[None]:
    """Keep the create's answer; an `APIResponseValidationError` gets the task id it names.

    An id that holds the key (the service echoing it) is no id: it is not kept.

    Raises:
        APIResponseValidationError: with `task_id` set when the answer names one.
    """
    answers: list[httpx.Response] = []
    token = _answers.set(answers)
    try:
        yield
    except APIResponseValidationError as error:
        if error.task_id is None and answers:
            task_id = _task_id_in(answers[-1])
            echoed = task_id is not None and redact(task_id, [api_key]) != task_id
            error.task_id = None if echoed else task_id
        raise
    finally:
        _answers.reset(token)


def keep_answer(response: httpx.Response) -> None:
    """Keep a successful answer, when a create in this context asked for it (`salvaged_task_id`)."""
    answers = _answers.get()
    if answers is not None:
        answers.append(response)


def _task_id_in(response: httpx.Response) -> str | None:
    """`data.task_id` of the answer's JSON, when it is a string that can be an id."""
    try:
        task_id = json.loads(response.content)["data"]["task_id"]
    except (httpx.ResponseNotRead, ValueError, KeyError, TypeError, RecursionError):
        return None
    return task_id if isinstance(task_id, str) and _ID_LIKE.fullmatch(task_id) else None
