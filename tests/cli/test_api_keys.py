"""The API key in the CLI: redacted as the client uses it, masked only as a token, told truly."""

from __future__ import annotations

import pytest

from nano_banana_pro import NanoBananaProError
from nano_banana_pro.cli import ExitCode, _commands, main
from nano_banana_pro.cli._failures import Redactor
from nano_banana_pro.testing import FakeMagnific
from tests.cli.conftest import API_KEY, Cli, error_lines

#: How keys arrive from a `.env` file, a secret manager or a copy-paste.
PADDED_KEYS = [f"  {API_KEY}  ", f"{API_KEY}\n", f"\t{API_KEY}\r\n"]


def echoes_the_key(fake: FakeMagnific) -> None:
    """The next answers are a 401 that quotes the key it received (as some gateways do)."""
    fake.fail_next(401, count=10, body={"message": f"Invalid API key {API_KEY}"})


@pytest.mark.parametrize("padded", PADDED_KEYS, ids=repr)
@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_a_key_with_surrounding_whitespace_in_the_environment_is_never_printed(
    cli: Cli, fake: FakeMagnific, padded: str, debug: list[str]
) -> None:
    echoes_the_key(fake)
    result = cli.run(*debug, "list", api_key=padded)  # Cli.run fails if API_KEY is printed

    assert result.returncode == ExitCode.AUTH
    assert "Invalid API key ***" in error_lines(result.stderr)[0]


@pytest.mark.parametrize("padded", PADDED_KEYS, ids=repr)
def test_a_key_with_surrounding_whitespace_on_the_command_line_is_never_printed(
    cli: Cli, fake: FakeMagnific, padded: str
) -> None:
    echoes_the_key(fake)
    result = cli.run("--debug", "list", f"--api-key={padded}", api_key=None)

    assert result.returncode == ExitCode.AUTH
    assert "Invalid API key ***" in error_lines(result.stderr)[0]


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("padded", PADDED_KEYS, ids=repr)
def test_the_redactor_of_main_knows_the_key_as_the_client_sends_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], padded: str
) -> None:
    monkeypatch.setenv("MAGNIFIC_API_KEY", padded)

    def echo(args: object) -> int:
        raise NanoBananaProError(f"the service said: bad key {API_KEY}")

    monkeypatch.setattr(_commands, "list_tasks", echo)
    assert main(["--debug", "list"]) == ExitCode.SERVICE
    stderr = capsys.readouterr().err
    assert API_KEY not in stderr
    assert "the service said: bad key ***" in error_lines(stderr)[0]


@pytest.mark.parametrize("key", ["k", "e", "ice"])
def test_a_short_key_is_masked_only_where_it_stands_as_a_token(key: str) -> None:
    redact = Redactor([key])

    message = "could not talk to the service (ConnectError); check the network"
    assert redact(message) == message
    assert redact(f"Invalid API key {key}.") == "Invalid API key ***."
    assert redact(f"key={key}") == "key=***"


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("key", ["k", "e"])
def test_a_short_key_does_not_mangle_the_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    monkeypatch.setenv("MAGNIFIC_API_KEY", key)

    def fail(args: object) -> int:
        raise NanoBananaProError(f"could not talk to the service; the key {key} was refused")

    monkeypatch.setattr(_commands, "list_tasks", fail)
    assert main(["list"]) == ExitCode.SERVICE
    [line] = error_lines(capsys.readouterr().err)
    assert line.endswith("could not talk to the service; the key *** was refused")


def test_a_short_wrong_key_leaves_the_services_message_whole(cli: Cli) -> None:
    result = cli.run("list", api_key="e")

    assert result.returncode == ExitCode.AUTH
    [line] = error_lines(result.stderr)
    assert "Invalid API key" in line
    assert "Check the key" in line


@pytest.mark.parametrize(
    "bad_key",
    ["sk-with a-space", "sk-with-\x01-control", "sk-with-\u00e9-accent", "sk-\u200b-zero-width"],
    ids=["space", "control", "non-ASCII", "zero-width"],
)
def test_a_key_that_cannot_be_sent_gets_the_true_reason_and_exit_3(
    cli: Cli, fake: FakeMagnific, bad_key: str
) -> None:
    result = cli.run("list", api_key=bad_key)

    assert result.returncode == ExitCode.AUTH
    [line] = error_lines(result.stderr)
    assert "holds spaces, control or non-ASCII characters" in line
    assert "no API key" not in line
    assert bad_key not in result.stderr
    assert fake.count() == 0


@pytest.mark.parametrize("missing", ["", "   ", "\n"], ids=repr)
def test_a_blank_key_is_a_missing_key(cli: Cli, missing: str) -> None:
    result = cli.run("list", api_key=missing)

    assert result.returncode == ExitCode.AUTH
    [line] = error_lines(result.stderr)
    assert "no API key: set MAGNIFIC_API_KEY (or pass --api-key)" in line
