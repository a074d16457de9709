"""The fault matrix: every fault in FAULTS, for each operation, with the sync and async clients.

For each case: the typed error (or the recovery), the number of attempts the server received
(so the retries, and for a create the number of POSTs), the backoff, what the error carries,
no file left by a failed download, no duplicate task, and, with `MAGNIFIC_LOG=debug`, the API key
nowhere in the logs, the exception chain or the client's repr.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from nano_banana_pro import APIConnectionError, NanoBananaProError, Task, TaskStatus
from nano_banana_pro.clock import VirtualClock
from nano_banana_pro.testing import API_PATH, FakeMagnific
from tests.reliability.conftest import API_KEY, PROMPT, TASK_ID, LeakGuard
from tests.reliability.faults import (
    CASES,
    FAKE_OPERATION,
    IMAGE,
    MAX_RETRIES,
    Fault,
    Op,
    ok_answer,
    op_of,
)
from tests.reliability.rawserver import Action, RawRequest, RawServer, Script, closed_port

BASE_URL = "https://api.magnific.com"


class Carrier(Protocol):
    """Where the fault lives: the fake in-process, or a raw socket server."""

    def client_options(self) -> dict[str, Any]: ...

    def target(self, op: Op) -> Any: ...

    def received(self, op: Op) -> int: ...

    def check_image(self, image: bytes) -> None: ...


class FakeCarrier:
    """The fake, in-process; the fault armed after the task used by get/download exists."""

    def __init__(self, fault: Fault, op: Op) -> None:
        assert fault.fake is not None
        self.fake = FakeMagnific(api_key=API_KEY)
        self._task = self._completed_task() if op in ("get", "download") else None
        self._baseline = {name: self.fake.count(operation=name) for name in FAKE_OPERATION.values()}
        count = 100 if fault.times is None else fault.times
        fault.fake(self.fake, FAKE_OPERATION[op], count)

    def _completed_task(self) -> Task:
        with httpx.Client(
            base_url=BASE_URL,
            transport=self.fake.transport(),
            headers={"x-magnific-api-key": API_KEY},
        ) as http:
            created = http.post(API_PATH, json={"prompt": PROMPT}).json()["data"]
        self.fake.advance(60)
        fake_task = self.fake.tasks[created["task_id"]]
        return Task(
            task_id=fake_task.task_id,
            status=TaskStatus.COMPLETED,
            generated=(fake_task.image_url,),
        )

    def client_options(self) -> dict[str, Any]:
        return {"fake": self.fake}

    def target(self, op: Op) -> Any:
        if self._task is None:
            return None
        return self._task.task_id if op == "get" else self._task

    def received(self, op: Op) -> int:
        name = FAKE_OPERATION[op]
        return self.fake.count(operation=name) - self._baseline[name]

    def check_image(self, image: bytes) -> None:
        assert image.startswith(b"\x89PNG\r\n\x1a\n")


class RawCarrier:
    """A raw socket server (or none: a refused port)."""

    def __init__(self, server: RawServer | None, base_url: str) -> None:
        self._server = server
        self.base_url = base_url

    @staticmethod
    def script(fault: Fault) -> Script:
        """The first `fault.times` requests (all, for a storm) meet the fault; later ones not."""
        assert fault.raw is not None
        faulty_answer = fault.raw
        faulted = 0

        def answer(request: RawRequest) -> Action:
            nonlocal faulted
            if fault.times is None or faulted < fault.times:
                faulted += 1
                return faulty_answer(op_of(request))
            return ok_answer(op_of(request))

        return answer

    def client_options(self) -> dict[str, Any]:
        return {"base_url": self.base_url}

    def target(self, op: Op) -> Any:
        if op == "get":
            return TASK_ID
        url = f"{self.base_url}/images/{TASK_ID}.png"
        return Task(task_id=TASK_ID, status=TaskStatus.COMPLETED, generated=(url,))

    def received(self, op: Op) -> int:
        if self._server is None:
            return 0
        return self._server.received(lambda request: op_of(request) == op)

    def check_image(self, image: bytes) -> None:
        assert image == IMAGE


@contextlib.contextmanager
def carrier_for(fault: Fault, op: Op) -> Iterator[Carrier]:
    if fault.fake is not None:
        yield FakeCarrier(fault, op)
    elif fault.refused:
        yield RawCarrier(None, f"http://127.0.0.1:{closed_port()}")
    else:
        with RawServer(RawCarrier.script(fault)) as server:
            yield RawCarrier(server, server.base_url)


def run(client: Any, op: Op, target: Any, out_dir: Path) -> tuple[Any, NanoBananaProError | None]:
    """`(result, None)`, or `(None, the error)`."""
    try:
        if op == "create":
            return client.create(PROMPT), None
        if op == "get":
            return client.get(target), None
        if op == "list":
            return client.list(), None
        return client.download(target, out_dir), None
    except NanoBananaProError as error:
        return None, error


def check_outcome(fault: Fault, op: Op, outcome: Any, error: NanoBananaProError | None) -> None:
    """The recovery, or the exact error class with what it must say."""
    if fault.recovers(op):
        assert error is None, f"expected a recovery, got {error!r}"
        if fault.check is not None:
            fault.check(op, outcome)
        return
    assert error is not None, f"expected {fault.error!r}, got {outcome!r}"
    assert type(error) is fault.error, repr(error)
    if isinstance(error, APIConnectionError):
        assert error.request_sent is fault.request_sent
    if fault.check is not None:
        fault.check(op, error)


def expected_task_id(op: Op, target: Any, fault: Fault) -> str | None:
    """What the client knows about the task when `op` fails: for a create, only the id its
    answer names; nothing for a list."""
    if op == "create" and fault.names_task:
        return TASK_ID
    if op == "get":
        return str(target)
    if op == "download":
        return str(target.task_id)
    return None


@pytest.mark.parametrize(
    ("fault", "op"), [pytest.param(fault, op, id=f"{fault.name}-{op}") for fault, op in CASES]
)
def test_fault(
    fault: Fault, op: Op, make_client: Any, leak_guard: LeakGuard, tmp_path: Path
) -> None:
    clock = VirtualClock()
    out_dir = tmp_path / "out"
    with carrier_for(fault, op) as carrier:
        client = make_client(
            clock=clock, max_retries=MAX_RETRIES, timeout=fault.timeout, **carrier.client_options()
        )
        target = carrier.target(op)
        outcome, error = run(client, op, target, out_dir)
        received = carrier.received(op)

    attempts = fault.attempts(op)
    assert received == (0 if fault.refused else attempts), "requests the server received"
    assert len(clock.slept) == attempts - 1, "retries (backoff sleeps)"
    if fault.sleeps is not None:
        fault.sleeps(clock.slept)
    check_outcome(fault, op, outcome, error)
    if op == "download":
        saved = sorted(out_dir.iterdir()) if out_dir.exists() else []
        if error is None:
            name = f"{target.task_id}_0.png"
            assert [path.name for path in saved] == [name, f"{name}.json"]  # and its sidecar
            carrier.check_image(saved[0].read_bytes())
        else:
            assert saved == [], "a failed download leaves no file and no temporary file"
    if op == "create" and isinstance(carrier, FakeCarrier):
        tasks = len(carrier.fake.tasks)
        assert tasks <= 1, "a create call made more than one task"
        assert tasks == int(fault.acted or fault.recovers(op)), "tasks the service made"
    if op != "download":
        assert leak_guard.debug_records() > 0, "MAGNIFIC_LOG=debug should log each API request"
    leak_guard.assert_clean(error, client)
    if error is not None:
        assert error.task_id == expected_task_id(op, target, fault), "the error's task_id"
