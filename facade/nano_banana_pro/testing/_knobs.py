"""The fake's knobs: faults armed for the next requests, and what it received."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from ._faults import DelayFault, DropFault, FailFault, Fault, FaultQueue, Operation, error_reply
from ._log import RecordedRequest

__all__ = ["FaultKnobs"]


class FaultKnobs:
    """What a test arms on `FakeMagnific` and what it asserts on; the state is the fake's."""

    _lock: threading.RLock
    _faults: FaultQueue
    _failing_tasks: int
    _reported_statuses: deque[str]
    requests: list[RecordedRequest]

    # -- knobs ---------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        on: Operation = "any",
        retry_after: float | str | None = None,
        body: Mapping[str, Any] | None = None,
        html: bool = False,
        after_processing: bool = False,
    ) -> None:
        """Answer the next `count` matching requests with an error status.

        Args:
            status: 4xx or 5xx (429, 500, 502, 503, 520, 529...).
            count: How many requests it applies to.
            on: Which requests: `create`, `get`, `list`, `image` or `any`.
            retry_after: A `Retry-After` header: seconds, or an HTTP date string.
            body: The JSON body; defaults to the service's `{"message": ...}` for the status.
            html: Send a gateway's HTML error page instead of JSON.
            after_processing: Handle the request first (a create makes a task), then answer the
                error: the ambiguous case a client must not blindly retry.

        Raises:
            ValueError: `status` is not 4xx or 5xx, or `count` is below 1.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be a 4xx or 5xx error status, got {status}")
        reply = error_reply(status, retry_after=retry_after, body=body, html=html)
        self._arm(
            FailFault(
                operation=on,
                remaining=_positive(count),
                after_processing=after_processing,
                reply=reply,
            )
        )

    def drop_next(
        self, *, count: int = 1, on: Operation = "any", after_processing: bool = False
    ) -> None:
        """Close the connection of the next `count` matching requests without answering.

        In-process, the client sees `httpx.RemoteProtocolError`; over HTTP, the socket closes.

        Args:
            count: How many requests it applies to.
            on: Which requests: `create`, `get`, `list`, `image` or `any`.
            after_processing: Handle the request first (a create makes a task), then drop: the
                client cannot tell whether the service acted.

        Raises:
            ValueError: `count` is below 1.
        """
        self._arm(
            DropFault(operation=on, remaining=_positive(count), after_processing=after_processing)
        )

    def delay_next(self, seconds: float, *, count: int = 1, on: Operation = "any") -> None:
        """Answer the next `count` matching requests `seconds` late, on the fake's clock.

        The request is handled on arrival (a create makes a task). In-process, when `seconds`
        exceeds the request's read timeout, the clock moves by the timeout and the client sees
        `httpx.ReadTimeout`.

        Args:
            seconds: The delay.
            count: How many requests it applies to.
            on: Which requests: `create`, `get`, `list`, `image` or `any`.

        Raises:
            ValueError: `seconds` is negative or `count` is below 1.
        """
        if seconds < 0:
            raise ValueError(f"seconds must be 0 or more, got {seconds}")
        self._arm(DelayFault(operation=on, remaining=_positive(count), seconds=seconds))

    def fail_task_next(self, *, count: int = 1) -> None:
        """Make the next `count` tasks created end FAILED instead of COMPLETED.

        Raises:
            ValueError: `count` is below 1.
        """
        with self._lock:
            self._failing_tasks += _positive(count)

    def unknown_status_next(self, status: str = "QUEUED", *, count: int = 1) -> None:
        """Make the next `count` GETs of a task report `status` (with no images).

        For testing that a client survives a status added to the service after its release.

        Raises:
            ValueError: `count` is below 1.
        """
        with self._lock:
            self._reported_statuses.extend([status] * _positive(count))

    def count(self, *, method: str | None = None, operation: str | None = None) -> int:
        """How many requests were received, optionally only of one method and/or operation."""
        with self._lock:
            return sum(
                1
                for request in self.requests
                if method in (None, request.method) and operation in (None, request.operation)
            )

    def _arm(self, fault: Fault) -> None:
        with self._lock:
            self._faults.arm(fault)


def _positive(count: int) -> int:
    if count < 1:
        raise ValueError(f"count must be 1 or more, got {count}")
    return count
