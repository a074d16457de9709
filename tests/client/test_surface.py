"""The public surface: kept in sync with the generated layer, sync and async twins, no key leaks."""

from __future__ import annotations

import inspect
import logging
import os
import subprocess
import sys
from typing import Any

import pytest

import nano_banana_pro
from nano_banana_pro import AsyncNanoBananaPro, NanoBananaPro, NanoBananaProError
from nano_banana_pro.request import build_create_request
from tests.client.conftest import API_KEY, TASK_ID, ScriptedServer, json_response, task_body

#: The test process's environment without MAGNIFIC_ settings.
CLEAN_ENV = {name: value for name, value in os.environ.items() if not name.startswith("MAGNIFIC")}


@pytest.mark.parametrize(
    "method",
    [
        NanoBananaPro.create,
        AsyncNanoBananaPro.create,
        NanoBananaPro.generate,
        AsyncNanoBananaPro.generate,
        build_create_request,
    ],
)
def test_create_options_are_the_declared_ones(method: Any) -> None:
    """The options come from `CreateOptions` (held to the spec by tests/unit/test_options.py)."""
    parameters = inspect.signature(method).parameters
    options = parameters["options"]
    assert options.kind is inspect.Parameter.VAR_KEYWORD
    assert options.annotation == "Unpack[CreateOptions]"
    assert parameters["extra_body"].kind is inspect.Parameter.KEYWORD_ONLY


def test_options_are_keyword_only_except_the_prompt_and_task() -> None:
    for client_class in (NanoBananaPro, AsyncNanoBananaPro):
        for name in ("create", "generate", "get", "wait", "download", "list"):
            parameters = list(inspect.signature(getattr(client_class, name)).parameters.values())
            positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
            assert positional in (
                ["self"],
                ["self", "prompt"],
                ["self", "task"],
                ["self", "task", "out_dir"],
            )


def test_the_async_client_mirrors_every_public_method() -> None:
    def public(client_class: type[Any]) -> dict[str, inspect.Signature]:
        return {
            name: inspect.signature(member)
            for name, member in inspect.getmembers(client_class, inspect.isfunction)
            if not name.startswith("_")
        }

    sync_methods, async_methods = public(NanoBananaPro), public(AsyncNanoBananaPro)
    assert set(sync_methods) - {"close"} == set(async_methods) - {"aclose"}
    for name, signature in sync_methods.items():
        if name != "close":
            assert list(signature.parameters) == list(async_methods[name].parameters), name
            assert inspect.iscoroutinefunction(getattr(AsyncNanoBananaPro, name)), name


def test_every_public_name_is_exported_and_errors_share_one_base() -> None:
    for name in nano_banana_pro.__all__:
        assert hasattr(nano_banana_pro, name), name
        member = getattr(nano_banana_pro, name)
        if isinstance(member, type) and name.endswith("Error"):
            assert issubclass(member, NanoBananaProError), name


@pytest.fixture
def restore_logger() -> Any:
    logger = logging.getLogger("nano_banana_pro")
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers


@pytest.mark.usefixtures("restore_logger")
def test_an_unknown_log_level_warns_and_logs_nothing(
    make_client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAGNIFIC_LOG", "verbose")
    with pytest.warns(RuntimeWarning, match="MAGNIFIC_LOG='verbose' is not one of debug"):
        make_client()
    assert logging.getLogger("nano_banana_pro").level == logging.NOTSET


def test_warnings_are_not_printed_until_the_program_configures_logging() -> None:
    """The logger's own handler is a NullHandler: Python's last-resort stderr printer stays out."""
    code = (
        "import logging, nano_banana_pro._logging as l; "
        "l.logger.warning('a delivery refused'); print('done')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=CLEAN_ENV
    )
    assert (result.stdout, result.stderr) == ("done\n", "")


@pytest.mark.usefixtures("restore_logger")
def test_debug_logging_redacts_the_key(
    make_client: Any,
    server: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MAGNIFIC_LOG", "debug")
    server.on("POST", json_response(200, task_body("CREATED")))
    server.on("GET", json_response(500, {"message": "boom"}), json_response(200, task_body()))
    with caplog.at_level(logging.DEBUG, logger="nano_banana_pro"):
        client = make_client()
        client.create("A suited raccoon")
        client.get(TASK_ID)
    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert "request POST" in messages
    assert "<redacted>" in messages
    assert "retry 1" in messages
    assert API_KEY not in messages
    captured = capsys.readouterr()
    assert API_KEY not in captured.err + captured.out
