"""Faults armed on the fake: each applies to the next N matching requests, then disarms."""

from __future__ import annotations

import abc
import http
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ._http import Outcome, Reply, html_reply, json_reply

__all__ = [
    "DelayFault",
    "DropFault",
    "FailFault",
    "Fault",
    "FaultQueue",
    "Operation",
    "error_reply",
]

Operation = Literal["create", "get", "list", "image", "any"]
"""Which requests a fault applies to: one operation, an image download, or `any` request."""

_MESSAGES = {
    429: "Too many requests",
    500: "Internal Server Error",
    503: "Service Unavailable. Please try again later.",
    520: "Web server is returning an unknown error",
    529: "Site is overloaded",
}


def error_reply(
    status: int,
    *,
    retry_after: float | str | None = None,
    body: Mapping[str, Any] | None = None,
    html: bool = False,
) -> Reply:
    """The answer of a failing service or gateway: the spec's `{"message"}` or an HTML page."""
    headers = {} if retry_after is None else {"retry-after": _header_value(retry_after)}
    message = _MESSAGES.get(status) or _phrase(status)
    if html:
        return html_reply(status, f"{status} {message}", headers=headers)
    return json_reply(status, {"message": message} if body is None else body, headers=headers)


@attrs.define(kw_only=True)
class Fault(abc.ABC):
    """A fault waiting for the requests it applies to.

    Attributes:
        operation: The requests it applies to.
        remaining: How many more requests it applies to.
        after_processing: True when the fake handles the request (a create makes a task) before
            the fault replaces the answer; False when the request never reaches the service.
    """

    operation: Operation
    remaining: int
    after_processing: bool

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """A short name for the request log (`fail`, `drop`, `delay`)."""

    @abc.abstractmethod
    def outcome(self, processed: Reply | None) -> Outcome:
        """What happens to the request; `processed` is the normal answer when there is one."""


@attrs.define(kw_only=True)
class FailFault(Fault):
    """Answer with an error status instead."""

    reply: Reply

    @property
    def name(self) -> str:
        """`fail`."""
        return "fail"

    def outcome(self, processed: Reply | None) -> Outcome:
        """The error answer."""
        return Outcome(reply=self.reply)


@attrs.define(kw_only=True)
class DropFault(Fault):
    """Close the connection without answering."""

    @property
    def name(self) -> str:
        """`drop`."""
        return "drop"

    def outcome(self, processed: Reply | None) -> Outcome:
        """No answer."""
        return Outcome(reply=None)


@attrs.define(kw_only=True)
class DelayFault(Fault):
    """Answer normally, `seconds` late (the request is handled at once, as a slow link would)."""

    seconds: float
    after_processing: bool = True

    @property
    def name(self) -> str:
        """`delay`."""
        return "delay"

    def outcome(self, processed: Reply | None) -> Outcome:
        """The normal answer, late."""
        return Outcome(reply=processed, delay=self.seconds)


@attrs.define
class FaultQueue:
    """Armed faults, oldest first; a request takes the first one that applies to it."""

    _faults: list[Fault] = attrs.field(factory=list)

    def arm(self, fault: Fault) -> None:
        """Add a fault after the ones already armed."""
        self._faults.append(fault)

    def take(self, operation: str) -> Fault | None:
        """The first fault applying to a request of `operation`, counted as used; or None."""
        for fault in self._faults:
            if fault.operation in ("any", operation):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def __len__(self) -> int:
        return len(self._faults)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _header_value(seconds_or_date: float | str) -> str:
    if isinstance(seconds_or_date, str):
        return seconds_or_date
    return f"{seconds_or_date:g}"
