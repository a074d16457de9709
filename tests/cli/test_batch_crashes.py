"""`batch` killed with SIGKILL at seeded moments, then resumed: nothing billed twice or lost.

A SIGKILL gives the process no chance to clean up: whatever the ledger committed is all there
is. The one window it cannot close is a create whose answer was lost with the process; such an
item is `ambiguous`, and the fake's own count tells whether that POST arrived.
"""

from __future__ import annotations

import json
import random
import time

import pytest

from nano_banana_pro.cli import ExitCode
from nano_banana_pro.clock import SystemClock
from nano_banana_pro.ledger import ItemState, TaskLedger
from nano_banana_pro.testing import FakeMagnific
from tests.cli.conftest import API_KEY, QUICK, Cli

#: Enough work for ten kills to land across it: two at a time, about 0.4 s an item.
ITEMS = [f"A raccoon in a hat, number {number}" for number in range(24)]
SEED = 20261201
KILLS = 10


@pytest.fixture
def fake() -> FakeMagnific:
    """The real-time fake, with 4 MB images, so that some kills land inside a download."""
    return FakeMagnific(
        api_key=API_KEY, clock=SystemClock(), schedule=QUICK, image_min_bytes=4_000_000
    )


def test_ten_sigkills_then_a_resume_bill_each_item_once_and_save_every_image(
    cli: Cli, fake: FakeMagnific
) -> None:
    (cli.cwd / "items.txt").write_text("\n".join(ITEMS) + "\n")
    moments = random.Random(SEED)
    for _ in range(KILLS):
        process = cli.popen("batch", "items.txt", "--concurrency", "2")
        time.sleep(moments.uniform(0.3, 1.2))  # the interpreter starts in about 0.3 s
        process.kill()
        process.communicate(timeout=20)

    assert 0 < fake.count(method="POST") <= len(ITEMS)  # the kills cut the work short
    final = cli.run("batch", "items.txt", "--concurrency", "2", "--recreate-ambiguous")

    assert final.returncode == ExitCode.OK, final.stderr
    with TaskLedger(cli.cwd / "items.txt.ledger.sqlite") as ledger:
        items = ledger.items()
    assert len(items) == len(ITEMS)
    assert all(item.state == ItemState.COMPLETED for item in items)
    named = [item.task_id for item in items]
    assert len(set(named)) == len(ITEMS)  # one task per item
    orphans = set(fake.tasks) - set(named)  # made by a POST whose answer died with a process
    ambiguous_seen = sum(step == ItemState.AMBIGUOUS for item in items for step, _ in item.history)
    assert len(orphans) <= ambiguous_seen
    assert fake.count(method="POST") == len(ITEMS) + len(orphans)
    for line in (cli.cwd / "items.txt.results.jsonl").read_text().splitlines():
        record = json.loads(line)
        assert [(cli.cwd / file).is_file() for file in record["files"]] == [True]
    leftovers = [path for path in cli.cwd.rglob("*") if path.suffix in (".part", ".tmp")]
    assert leftovers == []
