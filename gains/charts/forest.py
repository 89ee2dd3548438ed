"""Forest plot: each improvement's standardised effect with its CI, the pooled diamond and the
prediction interval (the range a new improvement's true effect is likely to fall in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gains.charts.svg import BLACK, BLUE, GREY, chart_style, new_figure, to_svg
from gains.stats.pooling import CI_METHOD_ABBREVIATIONS, PooledEstimate

MAX_LABEL_CHARACTERS = 42


@dataclass(frozen=True)
class ForestRow:
    label: str
    effect: float
    ci_low: float
    ci_high: float


def _short(label: str) -> str:
    if len(label) <= MAX_LABEL_CHARACTERS:
        return label
    return label[: MAX_LABEL_CHARACTERS - 1].rstrip() + "…"


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
    n_rows = len(rows) + (2 if pooled else 0)
    figure = new_figure(8.0, 1.2 + 0.32 * max(n_rows, 1))
    axes = figure.add_subplot()
    positions = list(range(len(rows), 0, -1))
    for y, row in zip(positions, rows, strict=True):
        axes.plot([row.ci_low, row.ci_high], [y, y], color=BLACK, linewidth=1.2)
        axes.plot([row.effect], [y], marker="s", color=BLUE, markersize=6)
    labels = [_short(row.label) for row in rows]
    ticks = list(positions)
    if pooled is not None:
        y = -0.5
        diamond_x = [pooled.ci_low, pooled.estimate, pooled.ci_high, pooled.estimate]
        diamond_y = [y, y + 0.3, y, y - 0.3]
        axes.fill(diamond_x, diamond_y, color=BLACK)
        axes.plot(
            [pooled.pi_low, pooled.pi_high],
            [y - 0.55, y - 0.55],
            color=GREY,
            linestyle="--",
            linewidth=1.2,
        )
        ticks += [y, y - 0.55]
        interval = CI_METHOD_ABBREVIATIONS[pooled.ci_method]
        labels += [
            f"Pooled ({pooled.method.upper()}, {interval} CI, k = {pooled.k})",
            "Prediction interval",
        ]
    axes.axvline(0, color=GREY, linewidth=1, linestyle=":")
    axes.set_yticks(ticks, labels)
    axes.set_xlabel(f"{effect_label} (positive is better), with 95% interval")
    axes.tick_params(axis="y", length=0)
    axes.spines["left"].set_visible(False)
    return to_svg(figure, title, description)
