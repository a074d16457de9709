"""B8 two processes, one budget: `generate_many` of 600 prompts in each, one budget file.

The fake runs in a third process, over loopback HTTP, enforcing the service's documented
windows (250 requests in any 5 s, 1,200 in any 120 s, per key: both clients use one key, as
the processes behind one IP would). Time is scaled by one factor everywhere: the fake's
windows, the clients' budget (the default `RateLimit`'s windows, shared through one file),
their poll schedule and the tasks' durations (20 s). The default factor, 0.05, makes the
two-minute window 6 s. Goal: together the clients never go over either window (the most API
requests the fake saw in any position of each window, 429s included), zero 429s, and every task
made once and completed. The ratio is that peak over the window's limit, the larger of the two.

    python benchmarks/b8_shared_budget.py [--runs 3] [--prompts 600] [--concurrency 100]
        [--time-scale 0.05] [--smoke]
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import child_env, fake_server, fmt, misses, parse_args, report, spread

from nano_banana_pro.testing import DOCUMENTED_LIMITS

PROCESSES = 2
LONGEST = max(DOCUMENTED_LIMITS, key=lambda window: window.seconds)
#: The tasks' duration before scaling, in seconds (in progress after a fifth of it).
TASK_SECONDS = 20.0
GOAL_PEAK = 1.0


async def generate(base_url: str, budget: str, prompts: int, concurrency: int, scale: float) -> Any:
    """One client process: its batch on the shared budget; what came back."""
    from nano_banana_pro import AsyncNanoBananaPro, PollSchedule, RateLimit
    from nano_banana_pro._config import DEFAULT_RATE_LIMIT

    limit = RateLimit(
        windows=tuple(window.scaled(scale) for window in DEFAULT_RATE_LIMIT.windows),
        shared=budget,
    )
    default = PollSchedule()
    schedule = PollSchedule(
        initial_interval=default.initial_interval * scale,
        backoff_cap=default.backoff_cap * scale,
        max_interval=default.max_interval * scale,
        dense_interval=default.dense_interval * scale,
    )
    async with AsyncNanoBananaPro(
        api_key="bench-key", base_url=base_url, rate_limit=limit, poll_schedule=schedule
    ) as client:
        started = time.perf_counter()
        results = await client.generate_many(
            [f"A shared budget, {budget[-6:]} prompt {index}" for index in range(prompts)],
            concurrency=concurrency,
        )
        wall = time.perf_counter() - started
    task_ids = [result.task_id for result in results if result.task_id is not None]
    return {
        "wall_seconds": wall,
        "ok": sum(1 for result in results if result.ok),
        "distinct_task_ids": len(set(task_ids)),
        "errors": sorted({type(result.error).__name__ for result in results if result.error}),
    }


def one_run(prompts: int, concurrency: int, scale: float) -> dict[str, Any]:
    """A fake server process and two client processes on one budget file; their figures."""
    task_seconds = TASK_SECONDS * scale
    with (
        tempfile.TemporaryDirectory() as folder,
        fake_server(
            in_progress_after=task_seconds / 5, complete_after=task_seconds, rate_scale=scale
        ) as server,
    ):
        budget = str(Path(folder) / "budget.sqlite")
        command = [
            sys.executable,
            __file__,
            "--client",
            server.base_url,
            f"--budget={budget}",
            f"--prompts={prompts}",
            f"--concurrency={concurrency}",
            f"--time-scale={scale}",
        ]
        started = time.perf_counter()
        clients = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and script
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
            )
            for _ in range(PROCESSES)
        ]
        outputs = [client.communicate(timeout=600) for client in clients]
        wall = time.perf_counter() - started
    for client, (out, err) in zip(clients, outputs, strict=True):
        if client.returncode != 0 or not out.strip():
            raise RuntimeError(f"a client exited {client.returncode}:\n{out}\n{err}")
    measured = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    return {"wall_seconds": wall, "clients": measured, "server": server.stats}


def main() -> int:
    """Run the two clients `runs` times, each with a fresh server and budget file, and report."""
    args = parse_args(
        "B8 two processes sharing one budget",
        extra=[
            ("--prompts", {"type": int, "default": 600, "help": "per process"}),
            ("--concurrency", {"type": int, "default": 100, "help": "per process"}),
            ("--time-scale", {"type": float, "default": 0.05}),
            ("--client", {"metavar": "BASE_URL", "help": "internal: run one client"}),
            ("--budget", {"help": "internal: the budget file of --client"}),
        ],
    )
    if args.client:
        figures = asyncio.run(
            generate(args.client, args.budget, args.prompts, args.concurrency, args.time_scale)
        )
        print(json.dumps(figures))
        return 0
    runs = 1 if args.smoke else (args.runs or 3)
    prompts, concurrency, scale = (
        (30, 10, 0.01) if args.smoke else (args.prompts, args.concurrency, args.time_scale)
    )
    measured = [one_run(prompts, concurrency, scale) for _ in range(runs)]
    total = PROCESSES * prompts
    ratio = spread(
        [max(w["peak"] / w["requests"] for w in run["server"]["window_peaks"]) for run in measured]
    )
    throttled = [run["server"]["throttled"] for run in measured]
    intact = all(
        run["server"]["tasks"] == total
        and all(c["ok"] == c["distinct_task_ids"] == prompts for c in run["clients"])
        for run in measured
    )
    missed = misses(
        {
            "over a window": ratio["max"] <= GOAL_PEAK,
            "429s": max(throttled) == 0,
            "lost or duplicated tasks": intact,
        }
    )
    peaks = [
        f"{w['peak']}/{w['requests']} in {w['seconds']:g} s"
        for w in measured[-1]["server"]["window_peaks"]
    ]
    walls = [run["wall_seconds"] for run in measured]
    per_task = spread([run["server"]["requests"] / total for run in measured])
    # The long window's rate is the most a budget can sustain: how much of it the two used.
    most = LONGEST.requests / (LONGEST.seconds * scale)
    used = spread([run["server"]["requests"] / run["wall_seconds"] / most for run in measured])
    errors = sorted({e for run in measured for client in run["clients"] for e in client["errors"]})
    result = {
        "id": "B8",
        "name": "two processes, one budget",
        "what": (
            f"{PROCESSES} processes x generate_many of {prompts} prompts (concurrency "
            f"{concurrency}), one RateLimit(shared=file), the fake in a third process over "
            f"loopback enforcing the documented windows, time x{scale:g}"
        ),
        "compared_with": "the service's windows: "
        + ", ".join(f"{w.requests} per {w.seconds:g} s" for w in DOCUMENTED_LIMITS)
        + " (scaled)",
        "goal": "never over either window together; zero 429s; no task lost",
        "ratio": ratio,
        "ratio_label": "peak requests in a window / its limit",
        "extra": (
            f"peaks of the last run {', '.join(peaks)} (scaled); 429s per run "
            f"{', '.join(map(str, throttled))}; wall {fmt(spread(walls), unit=' s')} "
            f"({fmt(spread([wall / scale for wall in walls]), digits=0, unit=' s')} unscaled); "
            f"requests/task {fmt(per_task)}; share of the two-minute window's rate used "
            f"{fmt(used)}; tasks intact (each made once, all completed): "
            f"{'yes' if intact else 'NO'} (errors: {', '.join(errors) or 'none'})"
        ),
        "met": not missed,
        "misses": missed,
        "runs": runs,
        "smoke": args.smoke,
        "figures": {
            "peak_ratio": ratio,
            "throttled": throttled,
            "requests_per_task": per_task,
            "rate_used": used,
            "intact": intact,
            "runs": measured,
        },
    }
    report(
        result,
        f"peak/limit {fmt(ratio)} (goal <= {GOAL_PEAK:g}); 429s {max(throttled)} (goal 0); "
        f"tasks intact: {intact}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
