"""Run every benchmark (each in its own process, with a timeout) and write benchmarks/README.md.

    python benchmarks/run_all.py                  # all of them, full size (make bench)
    python benchmarks/run_all.py --only B2,B3     # some of them
    python benchmarks/run_all.py --smoke --output /tmp/README.md   # tiny sizes, elsewhere

Exits 1 when a script failed or timed out (its row says so); a missed goal is a result, not a
failure.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, fmt, run_json
from _plots import MakespanRow, plot_makespan, plot_polling, polling_points

#: id -> (script, timeout in seconds for the full size)
SCRIPTS = {
    "B1": ("b1_polling.py", 400.0),
    "B2": ("b2_get_overhead.py", 400.0),
    "B3": ("b3_import.py", 300.0),
    "B4": ("b4_batch.py", 400.0),
    "B5": ("b5_download.py", 300.0),
    "B6": ("b6_makespan_polling.py", 600.0),
    "B7": ("b7_makespan_webhooks.py", 600.0),
    "B8": ("b8_shared_budget.py", 300.0),
}
SMOKE_TIMEOUT = 120.0
#: id -> (figure file, written beside the README; how it is drawn from the results by id).
FIGURES: dict[str, tuple[str, Callable[[dict[str, dict[str, Any]], Path], Path]]] = {
    "B1": ("b1_polling.svg", lambda by_id, path: plot_polling(polling_points(by_id["B1"]), path)),
    "B7": ("b6_b7_makespan.svg", lambda by_id, path: plot_makespan(makespan_rows(by_id), path)),
}


def makespan_rows(by_id: dict[str, dict[str, Any]]) -> list[MakespanRow]:
    """B6 (polling) and B7 (webhooks): our makespan beside the floor's, medians over runs."""
    return [
        MakespanRow(
            label,
            ours=by_id[benchmark]["figures"]["makespan"]["median"],
            floor=by_id[benchmark]["figures"]["floor"]["median"],
        )
        for benchmark, label in (("B6", "polling"), ("B7", "webhooks"))
        if "figures" in by_id.get(benchmark, {})
    ]


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "CPU": cpu_model(),
        "Cores": str(os.cpu_count()),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": platform.platform(),
        "Date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "Commit": git_commit(),
    }


def cpu_model() -> str:
    """The CPU's model name (Linux), else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str:
    """The checked-out commit, marked when the tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            cwd=BENCH_DIR,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            cwd=BENCH_DIR,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} (with uncommitted changes)" if dirty else head


def load_average() -> str:
    """The 1-minute load average, when the system reports it."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def run_one(benchmark: str, *, smoke: bool) -> dict[str, Any]:
    """One script's JSON result, or an error result."""
    script, timeout = SCRIPTS[benchmark]
    command = [sys.executable, str(BENCH_DIR / script), *(["--smoke"] if smoke else [])]
    started = time.perf_counter()
    try:
        result = dict(run_json(command, timeout=SMOKE_TIMEOUT if smoke else timeout))
    except RuntimeError as error:
        result = {"id": benchmark, "error": str(error)}
    result["elapsed_seconds"] = time.perf_counter() - started
    return result


def draw_figures(results: list[dict[str, Any]], folder: Path) -> dict[str, str]:
    """Draw the figure of each benchmark that has one and ran; id -> its file's name."""
    by_id = {result["id"]: result for result in results if "error" not in result}
    drawn = {}
    for benchmark, (name, draw) in FIGURES.items():
        if benchmark in by_id:
            drawn[benchmark] = draw(by_id, folder / name).name
    return drawn


def render(
    results: list[dict[str, Any]],
    info: dict[str, str],
    *,
    smoke: bool,
    figures: dict[str, str] | None = None,
) -> str:
    """The README: the table, the figures, the details, the machine, how to run."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `benchmarks/run_all.py` (`make bench`); do not edit by hand.",
        "Goals are ratios measured side by side in one run; each figure is "
        "min / median / max over repeated runs, and a goal is judged on the median "
        "(RSS and lost-task goals on every run).",
        "",
    ]
    if smoke:
        lines += ["**Smoke run (tiny sizes): these figures mean nothing.**", ""]
    lines += [
        "| # | what | compared with | goal | measured ratio (min / median / max) | result |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        if "error" in result:
            lines.append(f"| {result['id']} | | | | | **error** |")
            continue
        lines.append(
            f"| {result['id']} | {result['what']} | {result['compared_with']} | "
            f"{result['goal']} | {fmt(result['ratio'])} ({result['ratio_label']}) | "
            f"{'met' if result['met'] else '**missed**: ' + ', '.join(result['misses'])} |"
        )
    if figures:
        lines += ["", "## Figures", ""]
        for benchmark, name in figures.items():
            lines += [f"![{benchmark}]({name})", ""]
        lines.pop()
    lines += ["", "## Details", ""]
    for result in results:
        if "error" in result:
            lines += [f"- **{result['id']}** failed:", "", "```", result["error"][-3000:], "```"]
            continue
        lines.append(
            f"- **{result['id']} {result['name']}** (runs: {result['runs']}, "
            f"{result['elapsed_seconds']:.0f} s): {result['extra']}"
        )
    lines += ["", "## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in info.items()]
    lines += [
        "",
        "Other processes may have been running; the load average is a hint of how busy the "
        "machine was. Side-by-side runs are interleaved so that both sides see the same load.",
        "",
        "## How to run",
        "",
        "```sh",
        "make bench                                  # all, full size; rewrites this file",
        ".venv/bin/python benchmarks/run_all.py --only B2,B3",
        ".venv/bin/python benchmarks/b1_polling.py --runs 3   # one script; --help for options",
        ".venv/bin/python benchmarks/b2_get_overhead.py --profile   # where client.get spends",
        ".venv/bin/python benchmarks/run_all.py --smoke --output /tmp/README.md   # quick check",
        "```",
        "",
        "Each script prints a `RESULT <id> met|missed: ...` line, then its figures as JSON. "
        "`make test` runs each once with `--smoke` (tests/test_benchmarks_smoke.py), "
        "without judging any figure.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    """Run the chosen benchmarks in order and write the README."""
    parser = argparse.ArgumentParser(description="Run the benchmarks and write the README.")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks they run")
    parser.add_argument("--only", default=",".join(SCRIPTS), help="ids, comma-separated")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "README.md")
    args = parser.parse_args()
    chosen = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SCRIPTS))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; choose from {sorted(SCRIPTS)}")
    info = machine()
    info["Load average at start"] = load_average()
    results = []
    for benchmark in chosen:
        result = run_one(benchmark, smoke=args.smoke)
        verdict = "error" if "error" in result else ("met" if result["met"] else "missed")
        print(f"{benchmark}: {verdict} ({result['elapsed_seconds']:.0f} s)", flush=True)
        results.append(result)
    info["Load average at end"] = load_average()
    figures = draw_figures(results, args.output.parent)
    text = render(results, info, smoke=args.smoke, figures=figures)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 1 if any("error" in result for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
