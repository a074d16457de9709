"""The fake service on 127.0.0.1 in its own process, for benchmarks that measure a client.

Prints its base URL as the first stdout line; serves until its stdin closes; then prints one
JSON line of counts (`tasks`, `requests`, per operation) and exits. Any API key is accepted;
tasks follow one schedule on the real clock. With `--rate-scale S`, it enforces the service's
documented windows with their lengths times S (429 past them), and reports the most API
requests it saw in any position of each window (`window_peaks`) and its 429s (`throttled`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from nano_banana_pro.clock import SystemClock
from nano_banana_pro.testing import FakeMagnific, Schedule, documented_limits, peak_in_window

API_OPERATIONS = ("create", "get", "list")


def main() -> int:
    """Serve until stdin closes, then report the counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--in-progress-after", type=float, default=0.2)
    parser.add_argument("--complete-after", type=float, default=1.0)
    parser.add_argument("--image-min-bytes", type=int, default=0)
    parser.add_argument("--rate-scale", type=float, default=None)
    args = parser.parse_args()
    windows = () if args.rate_scale is None else documented_limits(time_scale=args.rate_scale)
    fake = FakeMagnific(
        api_key=None,
        clock=SystemClock(),
        schedule=Schedule(
            in_progress_after=args.in_progress_after, complete_after=args.complete_after
        ),
        image_min_bytes=args.image_min_bytes,
        rate_limits=windows,
    )
    with fake.serve(port=0) as base_url:
        print(base_url, flush=True)
        sys.stdin.read()
    api_times = [request.at for request in fake.requests if request.operation in API_OPERATIONS]
    counts = {
        "tasks": len(fake.tasks),
        "requests": fake.count(),
        "creates": fake.count(operation="create"),
        "gets": fake.count(operation="get"),
        "images": fake.count(operation="image"),
        "errors": sum(1 for request in fake.requests if (request.status or 0) >= 400),
        "dropped": sum(1 for request in fake.requests if request.status is None),
        "cpu_seconds": time.process_time(),
        "throttled": sum(1 for request in fake.requests if request.status == 429),
        "window_peaks": [
            {
                "requests": window.requests,
                "seconds": window.seconds,
                "peak": peak_in_window(api_times, window.seconds),
            }
            for window in windows
        ],
    }
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
