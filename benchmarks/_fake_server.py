"""The fake service on 127.0.0.1 in its own process, for benchmarks that measure a client.

Prints its base URL as the first stdout line; serves until its stdin closes; then prints one
JSON line of counts (`tasks`, `requests`, per operation) and exits. Any API key is accepted;
tasks follow one schedule on the real clock.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from nano_banana_pro.clock import SystemClock
from nano_banana_pro.testing import FakeMagnific, Schedule


def main() -> int:
    """Serve until stdin closes, then report the counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--in-progress-after", type=float, default=0.2)
    parser.add_argument("--complete-after", type=float, default=1.0)
    parser.add_argument("--image-min-bytes", type=int, default=0)
    args = parser.parse_args()
    fake = FakeMagnific(
        api_key=None,
        clock=SystemClock(),
        schedule=Schedule(
            in_progress_after=args.in_progress_after, complete_after=args.complete_after
        ),
        image_min_bytes=args.image_min_bytes,
    )
    with fake.serve(port=0) as base_url:
        print(base_url, flush=True)
        sys.stdin.read()
    counts = {
        "tasks": len(fake.tasks),
        "requests": fake.count(),
        "creates": fake.count(operation="create"),
        "gets": fake.count(operation="get"),
        "images": fake.count(operation="image"),
        "errors": sum(1 for request in fake.requests if (request.status or 0) >= 400),
        "dropped": sum(1 for request in fake.requests if request.status is None),
        "cpu_seconds": time.process_time(),
    }
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
