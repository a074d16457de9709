"""Every benchmark script runs, at a tiny size, and reports its result (figures not judged)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = {
    "B1": "b1_polling.py",
    "B2": "b2_get_overhead.py",
    "B3": "b3_import.py",
    "B4": "b4_batch.py",
    "B5": "b5_download.py",
}
TIMEOUT = 100


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=BENCH_DIR.parent,
    )


@pytest.mark.parametrize(("benchmark", "script"), SCRIPTS.items())
def test_script_prints_its_result_line_and_figures(benchmark: str, script: str) -> None:
    done = run(str(BENCH_DIR / script), "--smoke")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert any(re.match(rf"RESULT {benchmark} (met|missed)\b", line) for line in lines), lines
    result = json.loads(lines[-1])
    assert result["id"] == benchmark
    assert result["smoke"] is True
    assert set(result["ratio"]) == {"min", "median", "max"}
    assert result["met"] is (not result["misses"])


def test_runner_writes_the_table_and_the_machine(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"

    done = run(str(BENCH_DIR / "run_all.py"), "--smoke", "--only", "B2", "--output", str(readme))

    assert done.returncode == 0, done.stdout + done.stderr
    text = readme.read_text(encoding="utf-8")
    assert "| B2 | client.get(task_id)" in text
    assert "| B1 |" not in text
    for field in ("- CPU:", "- Cores:", "- Python:", "- OS:", "- Date:"):
        assert field in text


def test_runner_refuses_an_unknown_benchmark(tmp_path: Path) -> None:
    done = run(str(BENCH_DIR / "run_all.py"), "--only", "B9", "--output", str(tmp_path / "x"))

    assert done.returncode == 2
    assert "unknown benchmarks ['B9']" in done.stderr
    assert not (tmp_path / "x").exists()
