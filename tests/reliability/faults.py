"""FAULTS: every fault the suite injects, with what each operation must do about it.

Each row says how the fault is injected (the fake's knobs, or the raw socket server where the
fake cannot express it), which typed error a call that gives up raises (None: the answer is
usable as is), and the retry policy under test:

- a GET (`get`, `list`, an image download) is retried on connection failures, 408, 429 and 5xx;
- a create (billed) is retried only when the service certainly did not act on it: the
  connection was never made, 429, 503. Anything ambiguous (a reset after sending, a read
  timeout, 500, 502, 520, 529, a 200 that cannot be read) produces exactly one POST.

`python -m tests.reliability.faults` prints the number of faults and of test cases.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nano_banana_pro import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    NanoBananaProError,
    RateLimitError,
    ServerError,
    Task,
)
from nano_banana_pro.testing import API_PATH, FakeMagnific
from tests.reliability.conftest import TASK_ID
from tests.reliability.rawserver import Action, RawRequest, hang, partial, reset, respond

Op = Literal["create", "get", "list", "download"]
OPS: tuple[Op, ...] = ("create", "get", "list", "download")
API_OPS: tuple[Op, ...] = ("create", "get", "list")
#: Retries per call in the matrix: a storm is tried MAX_RETRIES + 1 times.
MAX_RETRIES = 2
#: The fake's name for the requests an operation sends.
FAKE_OPERATION = {"create": "create", "get": "get", "list": "list", "download": "image"}
#: A str() of an error ends up in logs: a 2 MB body must not.
MAX_MESSAGE_LENGTH = 2000
TWO_MB = 2 * 1024 * 1024

IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 800  # 200 KiB: more than one 64 KiB chunk

FakeArm = Callable[[FakeMagnific, str, int], None]
RawAnswer = Callable[[Op], Action]
Check = Callable[[Op, Any], None]
SleepCheck = Callable[[Sequence[float]], None]


# --- what a healthy server answers --------------------------------------------------------


def task_payload(status: str = "IN_PROGRESS", **extra: Any) -> dict[str, Any]:
    return {"task_id": TASK_ID, "status": status, "generated": [], **extra}


def ok_body(op: Op, status: str = "IN_PROGRESS", **extra: Any) -> Any:
    """The JSON a healthy service answers to `op` (`status` and extra fields in each task)."""
    if op == "list":
        return {"data": [{"task_id": TASK_ID, "status": status, **extra}]}
    return {"data": task_payload(status, **extra)}


def ok_answer(op: Op) -> Action:
    if op == "download":
        return respond(200, IMAGE, content_type="image/png")
    return respond(200, ok_body(op))


def op_of(request: RawRequest) -> Op:
    """Which operation a request the raw server read belongs to."""
    path = request.path.partition("?")[0]
    if path == API_PATH:
        return "create" if request.method == "POST" else "list"
    if path.startswith(API_PATH + "/"):
        return "get"
    return "download"


# --- faults on the raw server ------------------------------------------------------------


def cut_short(how: str) -> RawAnswer:
    """Announce the full body, send half of it, then reset (RST) or close (FIN)."""

    def answer(op: Op) -> Action:
        if op == "download":
            return partial(200, IMAGE, cut=len(IMAGE) // 2, content_type="image/png", how=how)
        body = json.dumps(ok_body(op)).encode()
        return partial(200, body, cut=len(body) // 2, content_type="application/json", how=how)

    return answer


def answer_200(body: bytes | Callable[[Op], Any]) -> RawAnswer:
    """A 200 JSON answer: fixed bytes, or a JSON value built for the operation."""

    def answer(op: Op) -> Action:
        return respond(200, body if isinstance(body, bytes) else body(op))

    return answer


def huge_html_error(op: Op) -> Action:
    page = b"<html><body><h1>500 Internal Server Error</h1>" + b"<p>trace</p>" * (TWO_MB // 12)
    return respond(500, page + b"</body></html>", content_type="text/html")


# --- faults on the fake ---------------------------------------------------------------------


def fail(status: int, **options: Any) -> FakeArm:
    def arm(fake: FakeMagnific, on: str, count: int) -> None:
        fake.fail_next(status, count=count, on=on, **options)  # type: ignore[arg-type]

    return arm


def drop_after_processing(fake: FakeMagnific, on: str, count: int) -> None:
    fake.drop_next(count=count, on=on, after_processing=True)  # type: ignore[arg-type]


def answer_after(seconds: float) -> FakeArm:
    def arm(fake: FakeMagnific, on: str, count: int) -> None:
        fake.delay_next(seconds, count=count, on=on)  # type: ignore[arg-type]

    return arm


def in_30_seconds() -> str:
    return email.utils.formatdate(time.time() + 30, usegmt=True)


# --- checks ---------------------------------------------------------------------------------


def exponential_backoff(slept: Sequence[float]) -> None:
    for attempt, seconds in enumerate(slept):
        ceiling = min(8.0, 0.5 * 2**attempt)
        assert ceiling / 2 <= seconds <= ceiling, (attempt, seconds)


def each_sleep(low: float, high: float) -> SleepCheck:
    def check(slept: Sequence[float]) -> None:
        assert all(low <= seconds <= high for seconds in slept), slept

    return check


def short_message(op: Op, error: Any) -> None:
    assert len(str(error)) <= MAX_MESSAGE_LENGTH, f"str(error) is {len(str(error))} characters"


def mentions(text: str) -> Check:
    def check(op: Op, error: Any) -> None:
        assert text in str(error).lower()

    return check


def tasks_of(outcome: Any) -> list[Task]:
    return list(outcome) if isinstance(outcome, list) else [outcome]


def unknown_status_kept(op: Op, outcome: Any) -> None:
    for task in tasks_of(outcome):
        assert task.task_id == TASK_ID
        assert task.status == "QUEUED"
        assert not task.is_known_status
        assert not task.is_terminal


def extra_fields_kept(op: Op, outcome: Any) -> None:
    for task in tasks_of(outcome):
        assert task.raw["has_nsfw"] == [False]
        assert task.status == "IN_PROGRESS"


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One injected fault and the behaviour it must meet.

    Attributes:
        name: The test id.
        error: What a call that gives up raises (exactly this class); None when the answer is
            usable as is.
        times: How many attempts in a row meet the fault; None for every attempt (a storm).
        create_retries: A create tries again after it (the service certainly did not act).
        read_retries: A GET (get, list, an image) tries again after it.
        ops: The operations it applies to.
        fake: Arms it on a FakeMagnific (in-process), for `count` requests of an operation.
        raw: Or: the raw server's answer to a request of an operation.
        refused: Or: nothing listens (connection refused).
        acted: The service acted on a faulted create (a task exists although the client failed).
        request_sent: `APIConnectionError.request_sent` when one is raised.
        names_task: A create's answer names its task although it is off the spec: the error
            carries that id.
        timeout: The client's HTTP timeout (seconds) for this fault.
        sleeps: A check on the client's backoff sleeps.
        check: A check on the error, or on the result when the call succeeds.
    """

    name: str
    error: type[NanoBananaProError] | None
    times: int | None = None
    create_retries: bool = False
    read_retries: bool = True
    ops: tuple[Op, ...] = OPS
    fake: FakeArm | None = None
    raw: RawAnswer | None = None
    refused: bool = False
    acted: bool = False
    request_sent: bool | None = None
    names_task: bool = False
    timeout: float = 5.0
    sleeps: SleepCheck | None = None
    check: Check | None = None

    def retries(self, op: Op) -> bool:
        return self.create_retries if op == "create" else self.read_retries

    def attempts(self, op: Op) -> int:
        """How many times `op` is tried."""
        if self.error is None or not self.retries(op):
            return 1
        failing = MAX_RETRIES + 1 if self.times is None else self.times
        return min(failing, MAX_RETRIES) + 1

    def recovers(self, op: Op) -> bool:
        """True when the call returns normally in the end."""
        if self.error is None:
            return True
        return self.retries(op) and self.times is not None and self.times <= MAX_RETRIES


FAULTS: tuple[Fault, ...] = (
    # -- the connection (raw sockets) --
    Fault(
        "connection-refused",
        APIConnectionError,
        create_retries=True,
        refused=True,
        request_sent=False,
    ),
    Fault(
        "reset-before-any-response", APIConnectionError, raw=lambda op: reset(), request_sent=True
    ),
    Fault(
        "reset-once-then-ok", APIConnectionError, times=1, raw=lambda op: reset(), request_sent=True
    ),
    Fault("reset-mid-body", APIConnectionError, raw=cut_short("reset"), request_sent=True),
    Fault(
        "body-short-of-content-length",
        APIConnectionError,
        raw=cut_short("close"),
        request_sent=True,
    ),
    Fault(
        "accepted-never-answered-once",  # a storm of these: "answered-after-the-read-timeout"
        APITimeoutError,
        times=1,
        raw=lambda op: hang(),
        timeout=0.3,
        request_sent=True,
    ),
    Fault("500-with-2mb-html-body", ServerError, raw=huge_html_error, check=short_message),
    # -- 200 answers the spec does not describe (raw sockets) --
    Fault(
        "200-invalid-json",
        APIResponseValidationError,
        read_retries=False,
        ops=API_OPS,
        raw=answer_200(b'{"data": {"task_id": "046b6c7f-'),
    ),
    Fault(
        "200-empty-body",
        APIResponseValidationError,
        read_retries=False,
        ops=API_OPS,
        raw=answer_200(b""),
    ),
    Fault(
        "200-data-missing",
        APIResponseValidationError,
        read_retries=False,
        ops=API_OPS,
        raw=answer_200(lambda op: {"task": task_payload()}),
    ),
    Fault(
        "200-status-null",
        APIResponseValidationError,
        read_retries=False,
        ops=API_OPS,
        raw=answer_200(lambda op: ok_body(op, status=None)),
        names_task=True,
    ),  # type: ignore[arg-type]
    Fault(
        "200-status-not-in-spec",
        None,
        ops=API_OPS,
        raw=answer_200(lambda op: ok_body(op, status="QUEUED")),
        check=unknown_status_kept,
    ),
    Fault(
        "200-extra-fields",
        None,
        ops=API_OPS,
        raw=answer_200(lambda op: {**ok_body(op, has_nsfw=[False], error=None), "meta": {}}),
        check=extra_fields_kept,
    ),
    # -- error statuses (the fake's knobs) --
    Fault(
        "429-storm", RateLimitError, create_retries=True, fake=fail(429), sleeps=exponential_backoff
    ),
    Fault(
        "429-retry-after-seconds",
        RateLimitError,
        create_retries=True,
        fake=fail(429, retry_after=2),
        sleeps=each_sleep(2.0, 2.0),
    ),
    Fault(
        "429-retry-after-http-date",
        RateLimitError,
        create_retries=True,
        fake=lambda fake, on, count: fail(429, retry_after=in_30_seconds())(fake, on, count),
        sleeps=each_sleep(27.0, 30.0),
    ),
    Fault(
        "429-retry-after-absurd",
        RateLimitError,
        create_retries=True,
        fake=fail(429, retry_after=10**9),
        sleeps=each_sleep(60.0, 60.0),
    ),
    Fault(
        "429-retry-after-unreadable",
        RateLimitError,
        create_retries=True,
        fake=fail(429, retry_after="soon"),
        sleeps=exponential_backoff,
    ),
    Fault("429-twice-then-ok", RateLimitError, times=2, create_retries=True, fake=fail(429)),
    Fault("500-after-acting", ServerError, fake=fail(500, after_processing=True), acted=True),
    Fault("502-html-page", ServerError, fake=fail(502, html=True), check=mentions("text/html")),
    Fault("503-storm", ServerError, create_retries=True, fake=fail(503)),
    Fault("503-once-then-ok", ServerError, times=1, create_retries=True, fake=fail(503)),
    Fault("520-after-acting", ServerError, fake=fail(520, after_processing=True), acted=True),
    Fault("529", ServerError, fake=fail(529)),
    Fault(
        "500-with-2mb-json-message",
        ServerError,
        fake=fail(500, body={"message": "x" * TWO_MB}),
        check=short_message,
    ),
    Fault(
        "dropped-after-acting",
        APIConnectionError,
        fake=drop_after_processing,
        acted=True,
        request_sent=True,
    ),
    Fault(
        "answered-after-the-read-timeout",
        APITimeoutError,
        fake=answer_after(3600),
        acted=True,
        request_sent=True,
    ),
)

CASES: tuple[tuple[Fault, Op], ...] = tuple((fault, op) for fault in FAULTS for op in fault.ops)


def main() -> None:
    """Print the size of the matrix."""
    print(
        f"{len(FAULTS)} faults, {len(CASES)} fault x operation cases, "
        f"{2 * len(CASES)} tests (sync and async)"
    )


if __name__ == "__main__":
    main()
