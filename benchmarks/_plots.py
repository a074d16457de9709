"""The benchmarks' figures, as SVG: the trade-offs a table hides (matplotlib, `bench` extra).

    plot_polling(polling_points(b1_result), Path("benchmarks/b1_polling.svg"))
    plot_makespan([MakespanRow("polling", ours=31.2, floor=30.0), ...], Path("b6_b7.svg"))

The output is deterministic for the same figures: a fixed size, no date in the metadata, fixed
ids (`svg.hashsalt`), text kept as text, so a figure's diff shows only what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt  # after the backend is chosen
from matplotlib.ticker import NullFormatter, ScalarFormatter

__all__ = [
    "MakespanRow",
    "PollerPoint",
    "plot_makespan",
    "plot_polling",
    "polling_points",
]

#: How B1's pollers are named on the figure; a poller not listed here keeps its own name.
#: B1's cold client (a new process, an empty cache) is to report as `learning_cold`.
POLLER_LABELS = {
    "learning": "ours (warm)",
    "learning_cold": "ours (cold)",
    "fixed_0.5s": "fixed 0.5 s",
    "fixed_5s": "fixed 5 s",
}
_FIGURE_SIZE = (7.0, 4.2)
_STYLE: Any = {  # matplotlib types rc keys as a Literal of every name
    "svg.hashsalt": "nano-banana-pro",
    "svg.fonttype": "none",
    "font.size": 10.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_OURS, _OTHERS, _FLOOR = "#1a7f37", "#6e6e73", "#b0b0b5"


@dataclass(frozen=True)
class PollerPoint:
    """One poller of B1: what it costs (GETs per task) and what it gives (detection lag)."""

    label: str
    gets_per_task: float
    lag_mean: float
    lag_p95: float


@dataclass(frozen=True)
class MakespanRow:
    """One way of waiting (polling, webhooks) in B6/B7: our makespan and the ideal client's."""

    label: str
    ours: float
    floor: float


def polling_points(result: Mapping[str, Any]) -> list[PollerPoint]:
    """B1's pollers, as found in its result's figures (medians over its runs), in its order."""
    figures = result["figures"]
    pollers = [
        key.removesuffix(".gets_per_task") for key in figures if key.endswith(".gets_per_task")
    ]
    return [
        PollerPoint(
            label=POLLER_LABELS.get(poller, poller),
            gets_per_task=figures[f"{poller}.gets_per_task"]["median"],
            lag_mean=figures[f"{poller}.lag_mean"]["median"],
            lag_p95=figures[f"{poller}.lag_p95"]["median"],
        )
        for poller in pollers
    ]


def plot_polling(points: Sequence[PollerPoint], path: Path) -> Path:
    """B1: detection lag (mean, and p95 above it) against GETs per task, one point per poller."""
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=_FIGURE_SIZE)
        for point in points:
            colour = _OURS if point.label.startswith("ours") else _OTHERS
            axes.vlines(point.gets_per_task, point.lag_mean, point.lag_p95, colors=colour, lw=1.5)
            axes.plot(point.gets_per_task, point.lag_mean, "o", color=colour, ms=8)
            axes.plot(point.gets_per_task, point.lag_p95, "^", color=colour, ms=7, mfc="white")
            axes.annotate(
                point.label,
                (point.gets_per_task, point.lag_mean),
                xytext=(8, -4),
                textcoords="offset points",
                color=colour,
            )
        axes.plot([], [], "o", color=_OTHERS, label="mean lag")
        axes.plot([], [], "^", color=_OTHERS, mfc="white", label="p95 lag")
        axes.set_xscale("log")
        gets = [point.gets_per_task for point in points]
        axes.set_xlim(min(gets) / 1.6, max(gets) * 2.2)  # room for the labels
        axes.xaxis.set_major_formatter(ScalarFormatter())
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xlabel("GET requests per task (log scale; fewer is cheaper)")
        axes.set_ylabel("detection lag, seconds (lower is sooner)")
        axes.set_title("B1: what each poller costs and how late it notices")
        axes.set_ylim(bottom=0)
        axes.legend(loc="upper right", frameon=False)
        axes.grid(True, which="both", alpha=0.25)
        return _save(figure, path)


def plot_makespan(rows: Sequence[MakespanRow], path: Path) -> Path:
    """B6/B7: our makespan beside the floor (the ideal client's), for each way of waiting."""
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=_FIGURE_SIZE)
        width = 0.38
        places = range(len(rows))
        ours = axes.bar(
            [x - width / 2 for x in places],
            [r.ours for r in rows],
            width,
            color=_OURS,
            label="ours",
        )
        floor = axes.bar(
            [x + width / 2 for x in places],
            [r.floor for r in rows],
            width,
            color=_FLOOR,
            label="floor (ideal client)",
        )
        axes.bar_label(ours, fmt="%.1f s", padding=2)
        axes.bar_label(floor, fmt="%.1f s", padding=2)
        axes.set_xticks(list(places), [row.label for row in rows])
        axes.set_ylabel("makespan, seconds (lower is better)")
        axes.set_title("B6/B7: makespan against the floor")
        axes.legend(loc="upper right", frameon=False)
        axes.grid(True, axis="y", alpha=0.25)
        return _save(figure, path)


def _save(figure: Any, path: Path) -> Path:
    """Write the figure as SVG (no date, so the same figures give the same bytes) and close it."""
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)
    return path
