"""The command line itself, in-process: help, usage errors, options, configuration."""

from __future__ import annotations

import pytest

from nano_banana_pro import AspectRatio, Resolution, __version__
from nano_banana_pro.cli import ExitCode, main
from nano_banana_pro.cli._parser import build_parser
from tests.cli.conftest import API_KEY, error_lines

COMMANDS = ["generate", "status", "wait", "list", "download", "fake-server", "gallery"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == ExitCode.OK

    help_text = capsys.readouterr().out
    assert help_text.startswith(f"usage: nano-banana-pro {command}")
    example = help_text.split("example:\n", 1)[1]
    assert example.strip().startswith(f"nano-banana-pro {command}")


def test_the_top_level_help_lists_commands_configuration_and_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == ExitCode.OK

    help_text = capsys.readouterr().out
    assert all(command in help_text for command in COMMANDS)
    assert "MAGNIFIC_API_KEY" in help_text
    assert "MAGNIFIC_BASE_URL" in help_text
    assert "example:\n  nano-banana-pro generate" in help_text
    assert "6 wait timed out" in help_text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == ExitCode.OK
    assert capsys.readouterr().out == f"nano-banana-pro {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["generate"], "the following arguments are required: PROMPT"),
        (["generate", "A raccoon", "--resolution", "8K"], "unknown resolution '8K'"),
        (["wait", "some-id", "--timeout", "0"], "must be a positive number of seconds"),
        (["wait", "some-id", "--timeout", "nan"], "not a finite number of seconds"),
        (["fake-server", "--task-seconds", "-1"], "must be 0 or more seconds"),
        (["fake-server", "--port", "70000"], "must be a port from 0 to 65535, got '70000'"),
        (["status"], "the following arguments are required: TASK_ID"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == ExitCode.BAD_INPUT

    err = capsys.readouterr().err
    assert err.startswith("usage: nano-banana-pro")
    [line] = error_lines(err)
    assert says in line


@pytest.mark.parametrize(
    "argv",
    [
        ["--api-key", API_KEY, "no-such-command"],
        ["fake-server", f"--api-key={API_KEY}"],
        ["list", "--api-key", API_KEY, "unexpected"],
    ],
)
def test_usage_errors_never_echo_the_key(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == ExitCode.BAD_INPUT

    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err


def test_global_options_go_before_or_after_the_command() -> None:
    parser = build_parser()

    before = parser.parse_args(["--api-key", "k1", "--base-url", "http://b1", "--debug", "list"])
    after = parser.parse_args(["list", "--api-key", "k2", "--debug"])
    both = parser.parse_args(["--api-key", "k1", "list", "--base-url", "http://b2"])

    assert (before.api_key, before.base_url, before.debug) == ("k1", "http://b1", True)
    assert (after.api_key, after.base_url, after.debug) == ("k2", None, True)
    # An option left out after the command keeps the value given before it.
    assert (both.api_key, both.base_url, both.debug) == ("k1", "http://b2", False)


def test_generate_options_are_parsed_into_what_the_client_takes() -> None:
    args = build_parser().parse_args(
        [
            "generate",
            "A raccoon",
            "--aspect-ratio",
            "21:9",
            "--resolution",
            "4k",
            "--reference",
            "https://example.com/a.png",
            "--reference",
            "https://example.com/b,,keep the hat",
            "--reference",
            "gs://bucket/c, image/webp ,caption, with commas",
        ]
    )

    assert args.aspect_ratio == AspectRatio.RATIO_21_9
    assert args.resolution == Resolution.RES_4K  # "4k" in any case: the spec's own spelling
    assert args.reference_images == [
        {"image": "https://example.com/a.png"},
        {"image": "https://example.com/b", "text": "keep the hat"},
        {"image": "gs://bucket/c", "mime_type": "image/webp", "text": "caption, with commas"},
    ]
    assert (args.out, args.timeout, args.no_wait, args.json) == ("out", None, False, False)


def test_defaults_of_generate() -> None:
    args = build_parser().parse_args(["generate", "A raccoon"])

    # Left to the client, which sends the spec's defaults (1:1, 2K).
    assert (args.aspect_ratio, args.resolution, args.reference_images) == (None, None, None)


def test_no_api_key_exits_3_and_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MAGNIFIC_API_KEY", raising=False)

    assert main(["list"]) == ExitCode.AUTH

    [line] = error_lines(capsys.readouterr().err)
    assert "no API key: set MAGNIFIC_API_KEY (or pass --api-key)" in line
    assert "nano-banana-pro fake-server" in line


def test_a_bad_base_url_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--api-key", "k", "--base-url", "ftp://example.com", "list"]) == 2

    [line] = error_lines(capsys.readouterr().err)
    assert "--base-url: must be an absolute http(s) URL" in line
