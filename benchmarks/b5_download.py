"""B5 download: `client.download` of a 50 MB image against raw httpx streaming to a file.

The fake serves over loopback from its own process, every image padded to `--megabytes`; one
task is created (it completes at once) and its image is fetched once to warm the server. Each
run measures every side (the order rotates), each in a fresh process: the seconds of the
download itself, and the peak RSS growth during it (peak RSS after minus RSS before).

    python benchmarks/b5_download.py [--runs 5] [--megabytes 50] [--smoke]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from _common import (
    current_rss_kb,
    fake_server,
    fmt,
    misses,
    parse_args,
    peak_rss_kb,
    report,
    spread,
)

API_PATH = "/v1/ai/text-to-image/nano-banana-pro"
API_KEY = "bench-key"
GOAL_THROUGHPUT = 0.8
GOAL_RSS_GROWTH_MB = 16.0
SIDES = ["client", "raw"]


def download_client(base_url: str, task_id: str, folder: Path) -> int:
    """`client.download` of the task's image into `folder`; the bytes written."""
    from nano_banana_pro import NanoBananaPro

    with NanoBananaPro(api_key=API_KEY, base_url=base_url, rate_limit=None) as client:
        task = client.get(task_id)
        return measure(lambda: client.download(task, folder)[0].stat().st_size)


def download_raw(url: str, folder: Path) -> int:
    """`httpx` streaming of `url` into a file in `folder`; the bytes written.

    The `httpx.Client` is built before timing (its SSL context alone takes tens of ms), as
    the SDK's download client is.
    """
    with httpx.Client() as http:

        def fetch() -> int:
            target = folder / "raw.png"
            with http.stream("GET", url) as response, target.open("wb") as file:
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    file.write(chunk)
            return target.stat().st_size

        return measure(fetch)


def measure(download: Callable[[], int]) -> int:
    """Run `download`, print its seconds, bytes and RSS figures as JSON; its result."""
    rss_before = current_rss_kb()
    started = time.perf_counter()
    size = download()
    seconds = time.perf_counter() - started
    growth_kb = peak_rss_kb() - rss_before
    print(json.dumps({"seconds": seconds, "bytes": size, "rss_growth_kb": growth_kb}))
    return size


def side(name: str, base_url: str, task_id: str, image_url: str) -> dict[str, Any]:
    """One side in a fresh process, into a fresh folder."""
    from _common import run_json

    folder = Path(tempfile.mkdtemp(prefix=f"bench-b5-{name}-"))
    try:
        return dict(
            run_json(
                [
                    sys.executable,
                    __file__,
                    f"--side={name}",
                    f"--base-url={base_url}",
                    f"--task-id={task_id}",
                    f"--image-url={image_url}",
                    f"--folder={folder}",
                ]
            )
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    """Alternate the two sides over `runs` runs and report."""
    args = parse_args(
        "B5 download",
        extra=[
            ("--megabytes", {"type": float, "default": 50.0}),
            ("--side", {"choices": SIDES, "help": "internal: run one side"}),
            ("--base-url", {}),
            ("--task-id", {}),
            ("--image-url", {}),
            ("--folder", {"type": Path}),
        ],
    )
    if args.side == "client":
        download_client(args.base_url, args.task_id, args.folder)
        return 0
    if args.side == "raw":
        download_raw(args.image_url, args.folder)
        return 0
    runs = 1 if args.smoke else (args.runs or 5)
    megabytes = 2.0 if args.smoke else args.megabytes
    measured: list[dict[str, dict[str, Any]]] = []
    with fake_server(
        in_progress_after=0.0, complete_after=0.0, image_min_bytes=int(megabytes * 2**20)
    ) as server:
        created = httpx.post(
            server.base_url + API_PATH,
            json={"prompt": "A benchmark of downloads"},
            headers={"x-magnific-api-key": API_KEY},
        ).json()["data"]
        task_id, image_url = created["task_id"], created["generated"][0]
        side("raw", server.base_url, task_id, image_url)  # the server builds the image once
        for run in range(runs):
            shift = run % len(SIDES)
            order = SIDES[shift:] + SIDES[:shift]
            measured.append(
                {name: side(name, server.base_url, task_id, image_url) for name in order}
            )

    def throughput(run: dict[str, Any]) -> float:
        return float(run["bytes"]) / 2**20 / float(run["seconds"])

    ratio = spread([throughput(run["client"]) / throughput(run["raw"]) for run in measured])
    growth = {
        name: spread([run[name]["rss_growth_kb"] / 1024 for run in measured]) for name in SIDES
    }
    speeds = {name: spread([throughput(run[name]) for run in measured]) for name in growth}
    complete = all(run[name]["bytes"] >= megabytes * 2**20 for run in measured for name in run)
    missed = misses(
        {
            "throughput": ratio["median"] >= GOAL_THROUGHPUT,
            "RSS growth": growth["client"]["max"] <= GOAL_RSS_GROWTH_MB,
            "complete files": complete,
        }
    )
    result = {
        "id": "B5",
        "name": "download",
        "what": f"client.download of a {megabytes:g} MB image, fake over loopback",
        "compared_with": "raw httpx.Client.stream to a file, same server and URL",
        "goal": (
            f"throughput >= {GOAL_THROUGHPUT}x raw, peak RSS growth <= {GOAL_RSS_GROWTH_MB:g} MB"
        ),
        "ratio": ratio,
        "ratio_label": "client throughput / raw",
        "extra": (
            f"client {fmt(speeds['client'], digits=0, unit=' MB/s')}, "
            f"raw {fmt(speeds['raw'], digits=0, unit=' MB/s')}; "
            f"RSS growth client "
            f"{fmt(growth['client'], digits=1, unit=' MB')}, raw "
            f"{fmt(growth['raw'], digits=1, unit=' MB')}"
        ),
        "met": not missed,
        "misses": missed,
        "runs": runs,
        "smoke": args.smoke,
        "figures": {
            "throughput_mb_s": speeds,
            "rss_growth_mb": growth,
            "complete_files": complete,
            "runs": measured,
        },
    }
    report(
        result,
        f"throughput {fmt(ratio)}x raw (goal >= {GOAL_THROUGHPUT}x); RSS growth "
        f"{fmt(growth['client'], digits=1)} MB (goal <= {GOAL_RSS_GROWTH_MB:g})",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
