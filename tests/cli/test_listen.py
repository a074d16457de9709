"""`batch --webhook-url URL --listen HOST:PORT`: the batch runs the webhook receiver itself.

End to end: the CLI as a subprocess, the fake on real time (conftest's schedule: 0.1 s to
IN_PROGRESS, 0.3 s to COMPLETED) POSTing each signed delivery to the CLI's receiver over
loopback; then the refusals, in-process.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from nano_banana_pro.cli import ExitCode, main
from nano_banana_pro.cli._batch import _resume_command
from nano_banana_pro.cli._parser import build_parser
from nano_banana_pro.clock import SystemClock
from nano_banana_pro.testing import FakeMagnific, post_webhook
from tests.cli.conftest import API_KEY, QUICK, Cli, error_lines

SECRET = "whsec_Y2xpLWxpc3Rlbi10ZXN0cy1zZWNyZXQ="
#: Nothing listens there: a line's own webhook_url, which the batch must keep.
ELSEWHERE = "http://127.0.0.1:9/elsewhere"


@pytest.fixture
def fake() -> FakeMagnific:
    """Overrides conftest's: deliveries signed with SECRET and POSTed for real."""
    return FakeMagnific(
        api_key=API_KEY,
        clock=SystemClock(),
        schedule=QUICK,
        webhook_secret=SECRET,
        webhook_sender=post_webhook,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run_batch(
    cli: Cli, *args: str, secret: str | None = SECRET
) -> subprocess.CompletedProcess[str]:
    env = cli.env(api_key=API_KEY)
    if secret is not None:
        env["MAGNIFIC_WEBHOOK_SECRET"] = secret
    result = subprocess.run(
        cli.command("batch", "prompts.txt", "--out", "out", *args),
        cwd=cli.cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    output = result.stdout + result.stderr
    assert API_KEY not in output
    assert SECRET not in output
    return result


def test_the_batch_receives_its_own_webhooks(cli: Cli, fake: FakeMagnific) -> None:
    lines = [
        "A suited raccoon",
        "A fox in a library",
        json.dumps({"prompt": "An owl", "webhook_url": ELSEWHERE}),
    ]
    (cli.cwd / "prompts.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    port = free_port()
    hook = f"http://127.0.0.1:{port}/"

    result = run_batch(cli, "--webhook-url", hook, "--listen", f"127.0.0.1:{port}")

    assert result.returncode == ExitCode.OK, result.stderr
    assert f"receiving webhooks on http://127.0.0.1:{port}/" in result.stderr
    ours = [delivery for delivery in fake.webhook_deliveries if delivery.url == hook]
    assert len(ours) == 4  # IN_PROGRESS and COMPLETED of the two items that set none
    # Each was received while the batch listened; a COMPLETED one sent after a poll had
    # already ended the batch (a busy machine) finds the listener gone, as it should.
    received = [d.json()["status"] for d in ours if d.error is None]
    late = [d.json()["status"] for d in ours if d.error is not None]
    assert received.count("IN_PROGRESS") == 2
    assert set(late) <= {"COMPLETED"}
    assert all("Connection refused" in str(d.error) for d in ours if d.error is not None)
    bodies = {task.body.get("prompt"): task.body.get("webhook_url") for task in fake.tasks.values()}
    assert bodies == {"A suited raccoon": hook, "A fox in a library": hook, "An owl": ELSEWHERE}
    assert len(list((cli.cwd / "out").glob("*.png"))) == 3


@pytest.mark.parametrize(
    ("args", "secret", "says"),
    [
        (["--listen", "127.0.0.1:0"], SECRET, "--listen needs --webhook-url"),
        (
            ["--listen", "127.0.0.1:0", "--webhook-url", "http://127.0.0.1/"],
            None,
            "--listen needs the webhook secret: set MAGNIFIC_WEBHOOK_SECRET",
        ),
        (["--listen", "8000"], SECRET, "expected HOST:PORT such as 127.0.0.1:8000"),
        (["--listen", "127.0.0.1:99999"], SECRET, "must be a port from 0 to 65535"),
    ],
    ids=["no webhook url", "no secret", "no host", "bad port"],
)
def test_listen_is_refused_without_what_it_needs(
    cli_env: Path,
    fake: FakeMagnific,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    secret: str | None,
    says: str,
) -> None:
    if secret is not None:
        monkeypatch.setenv("MAGNIFIC_WEBHOOK_SECRET", secret)
    (cli_env / "prompts.txt").write_text("A suited raccoon\n", encoding="utf-8")

    code = main(["batch", "prompts.txt", *args])

    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    [line] = error_lines(err)
    assert says in line
    assert fake.count(method="POST") == 0


def test_an_address_in_use_is_refused(
    cli_env: Path,
    fake: FakeMagnific,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MAGNIFIC_WEBHOOK_SECRET", SECRET)
    (cli_env / "prompts.txt").write_text("A suited raccoon\n", encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(
            [
                "batch",
                "prompts.txt",
                "--webhook-url",
                "http://127.0.0.1/",
                "--listen",
                f"127.0.0.1:{port}",
            ]
        )
    [line] = error_lines(capsys.readouterr().err)
    assert code == ExitCode.BAD_INPUT
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert fake.count(method="POST") == 0


def test_the_resume_command_keeps_the_webhook_options() -> None:
    args = build_parser().parse_args(
        [
            "batch",
            "p.txt",
            "--webhook-url",
            "https://hooks.example.com/",
            "--listen",
            "0.0.0.0:8000",
        ]
    )
    assert _resume_command(args).endswith(
        "--webhook-url https://hooks.example.com/ --listen 0.0.0.0:8000"
    )
