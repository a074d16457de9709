"""B6: generate_many of 1,200 prompts against the service's limits, polling only.

Goal: a makespan within 1.1x an ideal poller's (one GET exactly at each completion), at most
2.1 requests per task, zero 429s, no task lost or created twice. See `_makespan.py`.

    python benchmarks/b6_makespan_polling.py [--runs 3] [--tasks 1200] [--seed 11] [--smoke]
"""

from __future__ import annotations

import sys

from _makespan import main

if __name__ == "__main__":
    sys.exit(main("B6", webhooks=False, latencies=None))
