"""Every benchmark script runs, at a tiny size, and reports its result (figures not judged)."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = {
    "B1": "b1_polling.py",
    "B2": "b2_get_overhead.py",
    "B3": "b3_import.py",
    "B4": "b4_batch.py",
    "B5": "b5_download.py",
    "B6": "b6_makespan_polling.py",
    "B7": "b7_makespan_webhooks.py",
    "B8": "b8_shared_budget.py",
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


@pytest.fixture
def plots(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """`benchmarks/_plots.py`, imported as the benchmark scripts import it (a top-level module)."""
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    return importlib.import_module("_plots")


def svg_texts(path: Path) -> list[str]:
    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<dc:date>" not in path.read_text(encoding="utf-8")  # no timestamp: diffable
    return ["".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")]


def test_runner_draws_b1_s_figure_beside_the_readme_it_writes(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"

    done = run(str(BENCH_DIR / "run_all.py"), "--smoke", "--only", "B1", "--output", str(readme))

    assert done.returncode == 0, done.stdout + done.stderr
    assert "![B1](b1_polling.svg)" in readme.read_text(encoding="utf-8")
    texts = svg_texts(tmp_path / "b1_polling.svg")
    for label in ("ours (warm)", "fixed 0.5 s", "fixed 5 s"):
        assert label in texts


def test_the_makespan_figure_shows_ours_and_the_floor_for_each_way_of_waiting(
    plots: ModuleType, tmp_path: Path
) -> None:
    rows = [
        plots.MakespanRow("polling", ours=31.5, floor=30.0),
        plots.MakespanRow("webhooks", ours=30.4, floor=30.0),
    ]

    first = plots.plot_makespan(rows, tmp_path / "first.svg")
    second = plots.plot_makespan(rows, tmp_path / "second.svg")

    assert first.read_bytes() == second.read_bytes()  # deterministic
    texts = svg_texts(first)
    for text in ("polling", "webhooks", "ours", "floor (ideal client)", "31.5 s", "30.4 s"):
        assert text in texts


def test_the_polling_figure_takes_whatever_pollers_b1_reports(
    plots: ModuleType, tmp_path: Path
) -> None:
    figures = {
        f"{poller}.{key}": {"min": value, "median": value, "max": value}
        for poller, value in (("learning", 2.0), ("learning_cold", 3.0), ("fixed_9s", 9.0))
        for key in ("gets_per_task", "lag_mean", "lag_p95")
    }

    points = plots.polling_points({"figures": figures})
    texts = svg_texts(plots.plot_polling(points, tmp_path / "b1.svg"))

    assert [point.label for point in points] == ["ours (warm)", "ours (cold)", "fixed_9s"]
    assert {"ours (warm)", "ours (cold)", "fixed_9s"} <= set(texts)
