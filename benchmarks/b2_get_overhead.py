"""B2 per-call overhead of `client.get(task_id)` against raw httpx, on an in-process transport.

Both sides use the same `httpx.MockTransport` answering a fixed COMPLETED task: the client
(`rate_limit=None`, so nothing sleeps) against `httpx.Client.get` + `json.loads`. Each run
makes `--calls` calls per side in `--slices` interleaved slices (the order rotates each slice),
so that a burst of load from elsewhere hits both sides alike; a run's ratio is client time / raw
time (perf_counter; the CPU-time ratio is reported too). A third side, the client with a rate
limit that never binds, shows what the limiter costs. `--profile` prints where the client's
time goes.

    python benchmarks/b2_get_overhead.py [--runs 20] [--calls 2000] [--slices 10] [--smoke]
"""

from __future__ import annotations

import cProfile
import gc
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable

import httpx
from _common import fmt, misses, parse_args, report, spread

from nano_banana_pro import NanoBananaPro, RateLimit

BASE_URL = "https://api.magnific.com"
TASK_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
TASK_URL = f"{BASE_URL}/v1/ai/text-to-image/nano-banana-pro/{TASK_ID}"
API_KEY = "bench-key"
BODY = json.dumps(
    {
        "data": {
            "task_id": TASK_ID,
            "status": "COMPLETED",
            "generated": [f"https://cdn.example.com/{TASK_ID}_0.png"],
        }
    }
).encode()
HEADERS = {"content-type": "application/json"}
GOAL_RATIO = 1.25


def answer(request: httpx.Request) -> httpx.Response:
    """The fixed COMPLETED task, whatever was asked."""
    return httpx.Response(200, content=BODY, headers=HEADERS)


def timed(call: Callable[[], object], calls: int) -> tuple[float, float]:
    """Wall and CPU seconds of `calls` calls."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call()
    return time.perf_counter() - started, time.process_time() - cpu_started


def main() -> int:
    """Interleave rounds of client and raw calls and report the ratios."""
    args = parse_args(
        "B2 client.get overhead",
        extra=[
            ("--calls", {"type": int, "default": 2000}),
            ("--slices", {"type": int, "default": 10}),
            ("--profile", {"action": "store_true", "help": "cProfile the client's calls"}),
        ],
    )
    runs = 2 if args.smoke else (args.runs or 20)
    calls, slices = (100, 2) if args.smoke else (args.calls, args.slices)
    per_slice = max(1, calls // slices)
    transport = httpx.MockTransport(answer)
    client = NanoBananaPro(api_key=API_KEY, base_url=BASE_URL, transport=transport, rate_limit=None)
    throttled = NanoBananaPro(
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=transport,
        rate_limit=RateLimit.per_second(1e9, burst=10**9),
    )
    raw = httpx.Client(transport=transport, headers={"x-magnific-api-key": API_KEY})
    sides: dict[str, Callable[[], object]] = {
        "client": lambda: client.get(TASK_ID),
        "raw": lambda: json.loads(raw.get(TASK_URL).content),
        "client_rate_limited": lambda: throttled.get(TASK_ID),
    }
    assert client.get(TASK_ID).is_completed
    for call in sides.values():  # warm-up
        timed(call, per_slice)
    names = list(sides)
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu_times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(runs):
        gc.collect()
        wall = dict.fromkeys(names, 0.0)
        cpu = dict.fromkeys(names, 0.0)
        for index in range(slices):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                slice_wall, slice_cpu = timed(sides[name], per_slice)
                wall[name] += slice_wall
                cpu[name] += slice_cpu
        for name in names:
            times[name].append(wall[name] / (per_slice * slices))
            cpu_times[name].append(cpu[name] / (per_slice * slices))
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(timed, sides["client"], calls)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    client.close()
    throttled.close()
    raw.close()

    ratio = spread([c / r for c, r in zip(times["client"], times["raw"], strict=True)])
    ratio_limited = spread(
        [c / r for c, r in zip(times["client_rate_limited"], times["raw"], strict=True)]
    )
    ratio_cpu = spread([c / r for c, r in zip(cpu_times["client"], cpu_times["raw"], strict=True)])
    missed = misses({"time per call": ratio["median"] <= GOAL_RATIO})
    micros = {name: spread([t * 1e6 for t in values]) for name, values in times.items()}
    result = {
        "id": "B2",
        "name": "client.get overhead",
        "what": "client.get(task_id), rate_limit=None, on httpx.MockTransport",
        "compared_with": "raw httpx.Client.get + json.loads, same transport",
        "goal": f"<= {GOAL_RATIO}x the raw time",
        "ratio": ratio,
        "ratio_label": "client time / raw time",
        "extra": (
            f"per call: client {fmt(micros['client'], digits=0, unit=' us')}, "
            f"raw {fmt(micros['raw'], digits=0, unit=' us')}; "
            f"CPU-time ratio {fmt(ratio_cpu)}x; with a non-binding rate limit: "
            f"{fmt(ratio_limited)}x"
        ),
        "met": not missed,
        "misses": missed,
        "runs": runs,
        "calls_per_run": calls,
        "slices_per_run": slices,
        "smoke": args.smoke,
        "figures": {
            "client_us": micros["client"],
            "raw_us": micros["raw"],
            "client_rate_limited_us": micros["client_rate_limited"],
            "ratio_rate_limited": ratio_limited,
            "ratio_cpu_time": ratio_cpu,
            "ratio_of_medians": statistics.median(times["client"])
            / statistics.median(times["raw"]),
        },
    }
    report(
        result,
        f"client.get {fmt(ratio)}x raw httpx.get + json.loads (goal <= {GOAL_RATIO}x); "
        f"{micros['client']['median']:.0f} us vs {micros['raw']['median']:.0f} us per call",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
