"""Forest plot: each improvement's standardised effect with its CI, the pooled diamond and the
prediction interval (the range a new improvement's true effect is likely to fall in)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from gains.charts.svg import BLACK, BLUE, GREY, chart_style, new_figure, to_svg
from gains.stats.pooling import CI_METHOD_ABBREVIATIONS, PooledEstimate

# A label wraps onto at most two lines of this many characters, the rest elided: the full
# title is in the table of numbers beside the chart (templates/dashboards/partials/
# department_figures.html), and the plot keeps most of its width.
LABEL_LINE_CHARACTERS = 30
LABEL_LINES = 2
# In rows (one row is one unit of y): the pooled diamond sits a row and a half below the last
# improvement, its prediction interval a row below that, and the axes leave most of a row clear
# above the first and below the last, so neither sits on the x-axis.
POOLED_Y = -0.5
PREDICTION_Y = -1.5
MARGIN_ROWS = 0.8
ROW_HEIGHT_IN = 0.42  # two lines of 11 px text with room between rows
AXIS_HEIGHT_IN = 0.9  # the x-axis, its ticks and its label


@dataclass(frozen=True)
class ForestRow:
    label: str
    effect: float
    ci_low: float
    ci_high: float


def _label(title: str) -> str:
    """The title wrapped to at most LABEL_LINES lines, elided with "…" if it is longer."""
    lines = textwrap.wrap(title, LABEL_LINE_CHARACTERS) or [""]
    if len(lines) > LABEL_LINES:
        last = lines[LABEL_LINES - 1][: LABEL_LINE_CHARACTERS - 1].rstrip()
        lines = [*lines[: LABEL_LINES - 1], last + "…"]
    return "\n".join(lines)


def forest_plot_svg(
    rows: Sequence[ForestRow],
    pooled: PooledEstimate | None,
    *,
    title: str,
    description: str,
    effect_label: str = "Hedges' g",
) -> str:
    with chart_style():
        return _draw(rows, pooled, title, description, effect_label)


def _draw(rows, pooled, title, description, effect_label) -> str:
    top = len(rows) + MARGIN_ROWS
    bottom = (PREDICTION_Y if pooled else 1) - MARGIN_ROWS
    figure = new_figure(8.0, AXIS_HEIGHT_IN + ROW_HEIGHT_IN * (top - bottom))
    axes = figure.add_subplot()
    positions = list(range(len(rows), 0, -1))
    for y, row in zip(positions, rows, strict=True):
        axes.plot([row.ci_low, row.ci_high], [y, y], color=BLACK, linewidth=1.2)
        axes.plot([row.effect], [y], marker="s", color=BLUE, markersize=6)
    labels = [_label(row.label) for row in rows]
    ticks = list(positions)
    if pooled is not None:
        y = POOLED_Y
        diamond_x = [pooled.ci_low, pooled.estimate, pooled.ci_high, pooled.estimate]
        diamond_y = [y, y + 0.3, y, y - 0.3]
        axes.fill(diamond_x, diamond_y, color=BLACK)
        axes.plot(
            [pooled.pi_low, pooled.pi_high],
            [PREDICTION_Y, PREDICTION_Y],
            color=GREY,
            linestyle="--",
            linewidth=1.2,
        )
        ticks += [POOLED_Y, PREDICTION_Y]
        interval = CI_METHOD_ABBREVIATIONS[pooled.ci_method]
        labels += [
            f"Pooled ({pooled.method.upper()}, {interval} CI,\nk = {pooled.k})",
            "Prediction interval",
        ]
    axes.axvline(0, color=GREY, linewidth=1, linestyle=":")
    axes.set_ylim(bottom, top)
    axes.set_yticks(ticks, labels)
    axes.set_xlabel(f"{effect_label} (positive is better), with 95% interval")
    axes.tick_params(axis="y", length=0)
    axes.spines["left"].set_visible(False)
    return to_svg(figure, title, description)
