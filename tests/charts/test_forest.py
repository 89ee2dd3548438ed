"""The forest plot's layout: one, two and many rows clear of the x-axis and of each other, and
long titles wrapped to two lines and elided, never cut by the canvas (issue 21)."""

from __future__ import annotations

import itertools

import pytest

from gains.charts import forest
from gains.charts.forest import LABEL_LINE_CHARACTERS, LABEL_LINES, ForestRow, forest_plot_svg
from gains.charts.svg import chart_style
from gains.stats.pooling import PooledEstimate

LONG_TITLE = "Offering a booked appointment slot in the renewal invitation letter to cut waiting"


def _rows(n: int) -> list[ForestRow]:
    titles = (LONG_TITLE, "Shorter forms")
    return [ForestRow(titles[i % 2], 0.1 * i, 0.1 * i - 0.4, 0.1 * i + 0.4) for i in range(n)]


def _pooled(k: int) -> PooledEstimate:
    return PooledEstimate(
        method="dl", ci_method="knha", k=k, level=0.95, estimate=0.3, se=0.1,
        ci_low=0.1, ci_high=0.5, pi_low=-0.2, pi_high=0.8, tau2=0.01, i2=0.2, q=3.0,
        q_p_value=0.4, df=k - 1,
    )  # fmt: skip


def _figure(monkeypatch, rows, pooled):
    """The figure as drawn, before it becomes SVG."""
    drawn = []
    monkeypatch.setattr(forest, "to_svg", lambda figure, *_: drawn.append(figure) or "")
    forest_plot_svg(rows, pooled, title="Forest plot", description="Effects.")
    return drawn[0]


def test_a_long_title_wraps_to_two_lines_and_is_elided():
    label = forest._label(LONG_TITLE)
    lines = label.split("\n")
    assert len(lines) == LABEL_LINES
    assert all(len(line) <= LABEL_LINE_CHARACTERS for line in lines)
    assert lines[-1].endswith("…")
    assert LONG_TITLE.startswith(lines[0])


def test_a_short_title_is_left_whole():
    assert forest._label("Shorter forms") == "Shorter forms"


@pytest.mark.parametrize(("n_rows", "pooled"), [(1, False), (2, True), (12, True)])
def test_rows_sit_clear_of_the_axis_and_labels_inside_the_canvas(monkeypatch, n_rows, pooled):
    figure = _figure(monkeypatch, _rows(n_rows), _pooled(n_rows) if pooled else None)
    with chart_style():
        figure.draw_without_rendering()  # lays it out, as saving it does
        axes = figure.axes[0]
        bottom, top = axes.get_ylim()
        ticks = sorted(axes.get_yticks())
        # Half a row at least between the lowest row and the x-axis, and between any two rows.
        assert ticks[0] - bottom >= 0.5
        assert top - ticks[-1] >= 0.5
        assert all(upper - lower >= 1 for lower, upper in itertools.pairwise(ticks))
        canvas = figure.bbox
        labels = [label for label in axes.get_yticklabels() if label.get_text()]
        assert len(labels) == n_rows + (2 if pooled else 0)
        for label in labels:
            box = label.get_window_extent()
            assert box.x0 >= canvas.x0 and box.y0 >= canvas.y0 and box.y1 <= canvas.y1
        # No two labels overlap.
        boxes = sorted((label.get_window_extent() for label in labels), key=lambda b: b.y0)
        assert all(lower.y1 <= upper.y0 for lower, upper in itertools.pairwise(boxes))
