"""B7: the same as B6 with webhooks: every status change reaches a receiver in the process.

Goal: a makespan within 1.1x an ideal webhook client's (one POST per task, completions learned
for free), at most 1.1 requests per task, zero 429s, no task lost or created twice; and, in real
time over loopback, a wait completes within 50 ms (p95) of its delivery reaching a
`WebhookReceiver` served by uvicorn. See `_makespan.py` and `_latency.py`.

    python benchmarks/b7_makespan_webhooks.py [--runs 3] [--tasks 1200] [--seed 11] [--smoke]
"""

from __future__ import annotations

import sys

from _latency import delivery_latencies
from _makespan import main

if __name__ == "__main__":
    sys.exit(main("B7", webhooks=True, latencies=delivery_latencies))
