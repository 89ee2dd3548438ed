"""An improvement's own charts: before/after distributions, and the XmR chart of its weeks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from gains.charts.svg import BLACK, BLUE, GREY, RED, chart_style, new_figure, to_svg
from gains.stats.spc import XmrChart

MAX_POINTS_PER_CELL = 400  # enough to show the spread; the table has the exact figures


@dataclass(frozen=True)
class CellValues:
    label: str  # e.g. "Treatment, before"
    values: Sequence[float]
    mean: float
    ci_low: float
    ci_high: float


def distributions_svg(
    cells: Sequence[CellValues], *, unit: str, title: str, description: str
) -> str:
    """Each cell's values as a jittered strip, with its mean and 95% CI drawn over it."""
    with chart_style():
        figure = new_figure(8.0, 1.4 + 0.75 * max(len(cells), 1))
        axes = figure.add_subplot()
        rng = np.random.default_rng(0)  # fixed jitter: the same data draw the same chart
        for y, cell in enumerate(reversed(cells)):
            values = np.asarray(cell.values, dtype=float)
            if len(values) > MAX_POINTS_PER_CELL:
                values = rng.choice(values, MAX_POINTS_PER_CELL, replace=False)
            jitter = rng.uniform(-0.18, 0.18, size=len(values))
            axes.scatter(values, y + jitter, s=7, color=GREY, alpha=0.35, linewidths=0)
            axes.plot([cell.ci_low, cell.ci_high], [y, y], color=BLACK, linewidth=2.5)
            axes.plot([cell.mean], [y], marker="D", color=BLUE, markersize=8, markeredgecolor=BLACK)
        # Fixed rows, so a chart of means alone (the public register's, with no points) is
        # as compact as one with its jittered points.
        axes.set_ylim(-0.6, len(cells) - 0.4)
        axes.set_yticks(range(len(cells)), [cell.label for cell in reversed(cells)])
        axes.set_xlabel(f"Value ({unit}); diamond: mean, bar: its 95% interval")
        axes.tick_params(axis="y", length=0)
        axes.spines["left"].set_visible(False)
        return to_svg(figure, title, description)


def xmr_svg(
    weeks: Sequence[date],
    values: Sequence[float],
    chart: XmrChart,
    go_live_index: int | None,
    *,
    unit: str,
    title: str,
    description: str,
) -> str:
    """Weekly means with the centre line and process limits; special causes marked."""
    with chart_style():
        figure = new_figure(8.0, 3.4)
        axes = figure.add_subplot()
        axes.plot(weeks, values, color=BLACK, linewidth=1.2, marker="o", markersize=3.5)
        for level, style in ((chart.mean, "-"), (chart.upl, "--"), (chart.lpl, "--")):
            axes.axhline(level, color=GREY, linestyle=style, linewidth=1)
        flagged = sorted({signal.index for signal in chart.signals})
        if flagged:
            axes.scatter(
                [weeks[i] for i in flagged],
                [values[i] for i in flagged],
                marker="s",
                s=46,
                facecolors="none",
                edgecolors=RED,
                linewidths=1.8,
                zorder=3,
            )
        if go_live_index is not None:
            axes.axvline(weeks[go_live_index], color=BLUE, linewidth=1.5)
        axes.set_ylabel(unit)
        from matplotlib.lines import Line2D  # see charts/svg.py

        legend = [
            Line2D([], [], color=GREY, linestyle="-", label="Mean (before go-live)"),
            Line2D([], [], color=GREY, linestyle="--", label="Process limits"),
            Line2D([], [], color=BLUE, label="Go-live"),
            Line2D(
                [],
                [],
                marker="s",
                linestyle="",
                markerfacecolor="none",
                markeredgecolor=RED,
                label="Special cause",
            ),
        ]
        axes.legend(
            handles=legend,
            loc="upper left",
            fontsize=9,
            frameon=False,
            ncols=4,
            bbox_to_anchor=(0, 1.15),
        )
        figure.autofmt_xdate()
        return to_svg(figure, title, description)
