"""B1 polling economy: GET requests per task and detection lag of the learning poll schedule.

300 tasks (seeded), durations lognormal per resolution (1K median 12 s, 2K 20 s, 4K 45 s,
sigma 0.3), resolutions equally mixed and shuffled, run one after another through one client
on the fake's virtual clock. The same durations go through the default (learning) schedule, a
fixed 0.5 s poller (replicate's default) and a fixed 5 s poller (the Freepik MCP server's).

Lag is the fake's clock when `generate` returned minus the task's true completion time
(creation time + complete_after). Each run uses its own seed (seed, seed + 1, ...).

A cold client (a new process: a fresh client and no cache file, so nothing learned) also waits
for one task at a time of 3, 6 and 9 s, against a fixed 0.5 s poller on the same tasks: the
first task of an interactive user, where lag matters and the budget does not.

    python benchmarks/b1_polling.py [--runs 5] [--tasks 300] [--seed 7] [--smoke]
"""

from __future__ import annotations

import math
import random
import statistics
import sys
from collections import deque
from collections.abc import Mapping
from typing import Any

from _common import fmt, misses, parse_args, percentile, report, spread

from nano_banana_pro import NanoBananaPro, PollSchedule
from nano_banana_pro.testing import FakeMagnific, Schedule

MEDIAN_SECONDS = {"1K": 12.0, "2K": 20.0, "4K": 45.0}
SIGMA = 0.3
IN_PROGRESS_AFTER = 0.5
POLLERS: Mapping[str, PollSchedule | None] = {
    "learning": None,  # the client's default
    "fixed_0.5s": PollSchedule.fixed(0.5),
    "fixed_5s": PollSchedule.fixed(5.0),
}
GOAL_RATIO = 0.20
GOAL_MEAN_LAG = 1.0
GOAL_P95_LAG = 2.5
COLD_SECONDS = (3.0, 6.0, 9.0)
GOAL_COLD_LAG = 1.0
GOAL_COLD_RATIO = 0.5


def draw_tasks(count: int, seed: int) -> list[tuple[str, float]]:
    """`(resolution, complete_after)` per task: equally mixed resolutions, shuffled, seeded."""
    rng = random.Random(seed)  # noqa: S311 - a benchmark's seeded draws, not cryptography
    resolutions = [list(MEDIAN_SECONDS)[index % len(MEDIAN_SECONDS)] for index in range(count)]
    rng.shuffle(resolutions)
    return [
        (
            resolution,
            max(
                IN_PROGRESS_AFTER,
                MEDIAN_SECONDS[resolution] * math.exp(rng.gauss(0.0, SIGMA)),
            ),
        )
        for resolution in resolutions
    ]


def run_cold(schedule: PollSchedule | None) -> dict[str, Any]:
    """Each cold task with a client of its own (a new process: nothing learned, no cache)."""
    lags, gets = [], 0
    for seconds in COLD_SECONDS:
        measured = run_poller([("2K", seconds)], schedule)
        lags.append(measured["lag_mean"])
        gets += round(measured["gets_per_task"])
    return {
        "gets_per_task": gets / len(COLD_SECONDS),
        "lag_mean": statistics.fmean(lags),
        "lag_p95": percentile(lags, 0.95),
        "lag_max": max(lags),
    }


def run_poller(tasks: list[tuple[str, float]], schedule: PollSchedule | None) -> dict[str, Any]:
    """Generate every task, in order, with one client; GETs per task and lags."""
    pending = deque(tasks)

    def next_schedule(body: Mapping[str, Any]) -> Schedule:
        resolution, complete_after = pending.popleft()
        assert body["resolution"] == resolution, "tasks must be created in the drawn order"
        return Schedule(in_progress_after=IN_PROGRESS_AFTER, complete_after=complete_after)

    fake = FakeMagnific(schedule=next_schedule)
    lags = []
    with NanoBananaPro(
        api_key="test-key",
        transport=fake.transport(),
        clock=fake.clock,
        poll_schedule=schedule,
        rate_limit=None,
    ) as client:
        for resolution, _ in tasks:
            task = client.generate("A benchmark of polling", resolution=resolution)
            created = fake.tasks[task.task_id]
            completed_at = created.created_at + created.schedule.complete_after
            lags.append(fake.clock.monotonic() - completed_at)
    return {
        "gets_per_task": fake.count(operation="get") / len(tasks),
        "lag_mean": statistics.fmean(lags),
        "lag_p95": percentile(lags, 0.95),
        "lag_max": max(lags),
    }


def main() -> int:
    """Run the pollers side by side over `runs` seeds and report."""
    args = parse_args(
        "B1 polling economy",
        extra=[
            ("--tasks", {"type": int, "default": 300}),
            ("--seed", {"type": int, "default": 7}),
        ],
    )
    runs = 1 if args.smoke else (args.runs or 5)
    count = 30 if args.smoke else args.tasks
    per_run: list[dict[str, dict[str, Any]]] = []
    for run in range(runs):
        tasks = draw_tasks(count, args.seed + run)
        measured = {name: run_poller(tasks, schedule) for name, schedule in POLLERS.items()}
        measured["learning_cold"] = run_cold(None)
        measured["cold_fixed_0.5s"] = run_cold(PollSchedule.fixed(0.5))
        per_run.append(measured)

    def figure(poller: str, key: str) -> dict[str, float]:
        return spread([run[poller][key] for run in per_run])

    ratio = spread(
        [run["learning"]["gets_per_task"] / run["fixed_0.5s"]["gets_per_task"] for run in per_run]
    )
    ratio_5s = spread(
        [run["fixed_5s"]["gets_per_task"] / run["fixed_0.5s"]["gets_per_task"] for run in per_run]
    )
    lag_mean = figure("learning", "lag_mean")
    lag_p95 = figure("learning", "lag_p95")
    cold_ratio = spread(
        [
            run["learning_cold"]["gets_per_task"] / run["cold_fixed_0.5s"]["gets_per_task"]
            for run in per_run
        ]
    )
    cold_lag = figure("learning_cold", "lag_mean")
    missed = misses(
        {
            "GETs per task": ratio["median"] <= GOAL_RATIO,
            "lag mean": lag_mean["median"] <= GOAL_MEAN_LAG,
            "lag p95": lag_p95["median"] <= GOAL_P95_LAG,
            "cold lag mean": cold_lag["median"] <= GOAL_COLD_LAG,
            "cold GETs": cold_ratio["median"] <= GOAL_COLD_RATIO,
        }
    )
    figures = {
        f"{poller}.{key}": figure(poller, key)
        for poller in [*POLLERS, "learning_cold"]
        for key in ("gets_per_task", "lag_mean", "lag_p95", "lag_max")
    }
    figures["learning_cold.gets_ratio_to_fixed_0.5s"] = cold_ratio
    figures["fixed_5s.gets_ratio_to_fixed_0.5s"] = ratio_5s
    result = {
        "id": "B1",
        "name": "polling economy",
        "what": f"learning poll schedule, {count} tasks in sequence (virtual clock)",
        "compared_with": "fixed 0.5 s poller (replicate); fixed 5 s poller (Freepik MCP)",
        "goal": (
            f"warm: GETs/task <= {GOAL_RATIO:.0%} of the 0.5 s poller's, "
            f"lag mean <= {GOAL_MEAN_LAG:g} s, p95 <= {GOAL_P95_LAG:g} s; cold (3/6/9 s tasks, "
            f"a new process): lag mean <= {GOAL_COLD_LAG:g} s with <= "
            f"{GOAL_COLD_RATIO:.0%} of the 0.5 s poller's GETs"
        ),
        "ratio": ratio,
        "ratio_label": "GETs/task vs 0.5 s poller",
        "extra": (
            f"lag mean {fmt(lag_mean, unit=' s')}; lag p95 {fmt(lag_p95, unit=' s')}; "
            f"5 s poller: {fmt(ratio_5s)} of the GETs, "
            f"lag mean {fmt(figure('fixed_5s', 'lag_mean'), unit=' s')}; cold: lag mean "
            f"{fmt(cold_lag, unit=' s')} with {fmt(cold_ratio)} of the 0.5 s poller's GETs"
        ),
        "met": not missed,
        "misses": missed,
        "runs": runs,
        "smoke": args.smoke,
        "figures": figures,
    }
    report(
        result,
        f"GETs/task {fmt(ratio)} x the 0.5 s poller's (goal <= {GOAL_RATIO}); "
        f"lag mean {fmt(lag_mean)} s (goal <= {GOAL_MEAN_LAG}), "
        f"p95 {fmt(lag_p95)} s (goal <= {GOAL_P95_LAG}); cold lag {fmt(cold_lag)} s with "
        f"{fmt(cold_ratio)} of the GETs (goals <= {GOAL_COLD_LAG}, <= {GOAL_COLD_RATIO})",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
