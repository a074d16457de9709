"""B4 batch throughput: `generate_many` of 1,000 prompts on `AsyncNanoBananaPro`, 100 at a time.

The fake runs in its own process on the real clock (tasks IN_PROGRESS after 0.2 s, COMPLETED
after 1 s) and serves over loopback HTTP; the client runs in another process, with the rate
limit raised out of the way, and reports its wall time around `generate_many` and its peak RSS.
The ideal is ceil(prompts / concurrency) x the task time. Nothing may be lost or duplicated:
1,000 distinct task ids come back, and the fake counts 1,000 tasks.

    python benchmarks/b4_batch.py [--runs 5] [--prompts 1000] [--concurrency 100] [--smoke]
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from typing import Any

from _common import (
    fake_server,
    fmt,
    misses,
    parse_args,
    peak_rss_kb,
    report,
    run_json,
    spread,
)

IN_PROGRESS_SHARE = 0.2
GOAL_RATIO = 1.3
GOAL_RSS_MB = 150.0


async def generate(base_url: str, prompts: int, concurrency: int) -> dict[str, Any]:
    """The client side: one batch; wall time, peak RSS, and what came back."""
    from nano_banana_pro import AsyncNanoBananaPro, RateLimit

    async with AsyncNanoBananaPro(
        api_key="bench-key",
        base_url=base_url,
        rate_limit=RateLimit.per_second(10_000, burst=10_000),
    ) as client:
        started = time.perf_counter()
        cpu_started = time.process_time()
        results = await client.generate_many(
            [f"A benchmark batch, prompt {index}" for index in range(prompts)],
            concurrency=concurrency,
        )
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    task_ids = [result.task_id for result in results if result.task_id is not None]
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "peak_rss_kb": peak_rss_kb(),
        "results": len(results),
        "ok": sum(1 for result in results if result.ok),
        "task_ids": len(task_ids),
        "distinct_task_ids": len(set(task_ids)),
        "errors": sorted({type(result.error).__name__ for result in results if result.error}),
    }


def one_run(prompts: int, concurrency: int, task_seconds: float) -> dict[str, Any]:
    """A fresh fake server process and a client process; the client's figures and the counts."""
    with fake_server(
        in_progress_after=task_seconds * IN_PROGRESS_SHARE, complete_after=task_seconds
    ) as server:
        measured: dict[str, Any] = run_json(
            [
                sys.executable,
                __file__,
                "--client",
                server.base_url,
                f"--prompts={prompts}",
                f"--concurrency={concurrency}",
            ],
            timeout=60 + 5 * math.ceil(prompts / concurrency) * task_seconds,
        )
    measured["server"] = server.stats
    return measured


def main() -> int:
    """Run the batch `runs` times, each with a fresh server, and report."""
    args = parse_args(
        "B4 generate_many throughput",
        extra=[
            ("--prompts", {"type": int, "default": 1000}),
            ("--concurrency", {"type": int, "default": 100}),
            ("--task-seconds", {"type": float, "default": 1.0}),
            ("--client", {"metavar": "BASE_URL", "help": "internal: run the client side"}),
        ],
    )
    if args.client:
        import json

        print(json.dumps(asyncio.run(generate(args.client, args.prompts, args.concurrency))))
        return 0
    runs = 1 if args.smoke else (args.runs or 5)
    prompts, concurrency = (20, 10) if args.smoke else (args.prompts, args.concurrency)
    task_seconds = args.task_seconds
    ideal = math.ceil(prompts / concurrency) * task_seconds
    measured = [one_run(prompts, concurrency, task_seconds) for _ in range(runs)]
    ratio = spread([run["wall_seconds"] / ideal for run in measured])
    rss_mb = spread([run["peak_rss_kb"] / 1024 for run in measured])
    intact = all(
        run["distinct_task_ids"] == prompts
        and run["ok"] == prompts
        and run["server"]["tasks"] == prompts
        for run in measured
    )
    missed = misses(
        {
            "wall time": ratio["median"] <= GOAL_RATIO,
            "peak RSS": rss_mb["max"] <= GOAL_RSS_MB,
            "lost or duplicated tasks": intact,
        }
    )
    result = {
        "id": "B4",
        "name": "generate_many throughput",
        "what": (
            f"AsyncNanoBananaPro.generate_many, {prompts} prompts, concurrency {concurrency}, "
            f"{task_seconds:g} s tasks, fake over loopback in another process"
        ),
        "compared_with": f"ideal ceil({prompts}/{concurrency}) x {task_seconds:g} s = {ideal:g} s",
        "goal": f"wall <= {GOAL_RATIO}x ideal, peak RSS <= {GOAL_RSS_MB:g} MB, no task lost",
        "ratio": ratio,
        "ratio_label": "wall / ideal",
        "extra": (
            f"wall {fmt(spread([run['wall_seconds'] for run in measured]), unit=' s')}; "
            f"peak RSS {fmt(rss_mb, digits=0, unit=' MB')}; "
            f"tasks intact (distinct ids = completed = server tasks = {prompts}): "
            f"{'yes' if intact else 'NO'}; failed items per run "
            f"{', '.join(str(run['results'] - run['ok']) for run in measured)} (errors: "
            f"{', '.join(sorted({n for run in measured for n in run['errors']})) or 'none'}); "
            f"GETs/task {fmt(spread([run['server']['gets'] / prompts for run in measured]))}; "
            f"CPU seconds client {fmt(spread([run['cpu_seconds'] for run in measured]), digits=1)}"
            f", server {fmt(spread([run['server']['cpu_seconds'] for run in measured]), digits=1)}"
        ),
        "met": not missed,
        "misses": missed,
        "runs": runs,
        "smoke": args.smoke,
        "figures": {
            "wall_seconds": spread([run["wall_seconds"] for run in measured]),
            "ideal_seconds": ideal,
            "peak_rss_mb": rss_mb,
            "intact": intact,
            "gets_per_task": spread([run["server"]["gets"] / prompts for run in measured]),
            "client_cpu_seconds": spread([run["cpu_seconds"] for run in measured]),
            "server_cpu_seconds": spread([run["server"]["cpu_seconds"] for run in measured]),
            "runs": measured,
        },
    }
    report(
        result,
        f"wall {fmt(ratio)}x ideal {ideal:g} s (goal <= {GOAL_RATIO}x); peak RSS "
        f"{fmt(rss_mb, digits=0)} MB (goal <= {GOAL_RSS_MB:g}); tasks intact: {intact}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
