"""B3 import time: `from nano_banana_pro import NanoBananaPro` against `import httpx`, fresh.

Wall time of `python -c "import X"` minus that of `python -c "pass"`, launches alternating
(the order rotates), bytecode cached in a private folder warmed first (so neither side pays for
compiling). Each run is a block of `--launches` launches per side; its ratio is
(median client import - median pass) / (median httpx - median pass), the client import being
what a program pays to use the client (httpx included). The slowest modules it adds to httpx's,
from `-X importtime`, are listed for diagnosis; `import nano_banana_pro` alone (the package loads
names lazily) is a second, informative figure.

    python benchmarks/b3_import.py [--runs 5] [--launches 10] [--smoke]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping

from _common import (
    DEFAULT_CHILD_TIMEOUT,
    child_env,
    fmt,
    misses,
    parse_args,
    report,
    spread,
)

SNIPPETS = {
    "pass": "pass",
    "httpx": "import httpx",
    "nano_banana_pro": "import nano_banana_pro",
    "client": "from nano_banana_pro import NanoBananaPro",
}
GOAL_RATIO = 1.25


def launch_seconds(code: str, env: Mapping[str, str], *, options: tuple[str, ...] = ()) -> float:
    """Wall time of one fresh interpreter running `code`.

    Raises:
        subprocess.CalledProcessError: the interpreter failed.
    """
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, *options, "-c", code],
        env=dict(env),
        check=True,
        timeout=DEFAULT_CHILD_TIMEOUT,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def import_profile(code: str, env: Mapping[str, str]) -> dict[str, object]:
    """Modules `code` imports beyond httpx's, the slowest first (self time, us)."""

    def modules(code: str) -> set[str]:
        done = subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", f"{code}; import sys; print('\\n'.join(sys.modules))"],
            env=dict(env),
            check=True,
            capture_output=True,
            text=True,
            timeout=DEFAULT_CHILD_TIMEOUT,
        )
        return set(done.stdout.split())

    extra = modules(code) - modules("import httpx")
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-X", "importtime", "-c", code],
        env=dict(env),
        check=True,
        capture_output=True,
        text=True,
        timeout=DEFAULT_CHILD_TIMEOUT,
    )
    self_us: dict[str, int] = {}
    for line in done.stderr.splitlines():
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[0].isdigit():
            self_us[parts[2]] = int(parts[0])
    extra_times = sorted(
        ((us, name) for name, us in self_us.items() if name in extra), reverse=True
    )
    by_package: dict[str, int] = {}
    for us, name in extra_times:
        top = name.split(".")[0]
        by_package[top] = by_package.get(top, 0) + us
    return {
        "extra_module_count": len(extra),
        "extra_self_us_total": sum(us for us, _ in extra_times),
        "extra_self_us_by_package": dict(
            sorted(by_package.items(), key=lambda item: item[1], reverse=True)[:12]
        ),
        "slowest_extra_modules_us": {name: us for us, name in extra_times[:15]},
    }


def main() -> int:
    """Alternate fresh interpreters per side and report the import-time ratio."""
    args = parse_args("B3 import time", extra=[("--launches", {"type": int, "default": 10})])
    runs = 1 if args.smoke else (args.runs or 5)
    launches = 2 if args.smoke else args.launches
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = child_env()
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
        for code in SNIPPETS.values():  # write the bytecode cache, warm the disk cache
            launch_seconds(code, env)
        names = list(SNIPPETS)
        seconds: list[dict[str, list[float]]] = []
        for _ in range(runs):
            block: dict[str, list[float]] = {name: [] for name in names}
            for launch in range(launches):
                shift = launch % len(names)
                for name in names[shift:] + names[:shift]:
                    block[name].append(launch_seconds(SNIPPETS[name], env))
            seconds.append(block)
        profile = import_profile(SNIPPETS["client"], env)

    def cost_ms(block: dict[str, list[float]], name: str) -> float:
        return (statistics.median(block[name]) - statistics.median(block["pass"])) * 1e3

    ratio = spread([cost_ms(b, "nano_banana_pro") / cost_ms(b, "httpx") for b in seconds])
    ours = spread([cost_ms(b, "nano_banana_pro") for b in seconds])
    theirs = spread([cost_ms(b, "httpx") for b in seconds])
    client = spread([cost_ms(b, "client") for b in seconds])
    client_ratio = spread([cost_ms(b, "client") / cost_ms(b, "httpx") for b in seconds])
    missed = misses({"import time": client_ratio["median"] <= GOAL_RATIO})
    baseline = spread([statistics.median(b["pass"]) * 1e3 for b in seconds])
    result = {
        "id": "B3",
        "name": "import time",
        "what": "from nano_banana_pro import NanoBananaPro, fresh interpreter (minus `pass`)",
        "compared_with": "import httpx, fresh interpreter (minus python -c pass)",
        "goal": f"<= {GOAL_RATIO}x",
        "ratio": client_ratio,
        "ratio_label": "client import cost vs httpx's",
        "extra": (
            f"client import {fmt(client, digits=0, unit=' ms')}, "
            f"httpx {fmt(theirs, digits=0, unit=' ms')} "
            f"({profile['extra_module_count']} modules more than httpx); "
            f"`import nano_banana_pro` alone: {fmt(ratio)}x"
        ),
        "met": not missed,
        "misses": missed,
        "runs": runs,
        "launches_per_run": launches,
        "smoke": args.smoke,
        "figures": {
            "nano_banana_pro_ms": ours,
            "httpx_ms": theirs,
            "client_import_ms": client,
            "client_import_ratio": client_ratio,
            "python_pass_ms": baseline,
            "import_profile": profile,
        },
    }
    report(
        result,
        f"from nano_banana_pro import NanoBananaPro {fmt(client_ratio)}x import httpx "
        f"(goal <= {GOAL_RATIO}x); {client['median']:.0f} ms vs {theirs['median']:.0f} ms",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
