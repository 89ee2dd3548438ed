"""An improvement's own charts: before/after distributions, and the XmR chart of its weeks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from gains.charts.svg import BLACK, BLUE, GREY, PURPLE, RED, chart_style, new_figure, to_svg
from gains.stats.runs import RunChart
from gains.stats.spc import XmrChart

MAX_POINTS_PER_CELL = 400  # enough to show the spread; the table has the exact figures
# A note's label beside its line: the list under the charts has its whole text.
NOTE_LABEL_CHARACTERS = 28


@dataclass(frozen=True)
class NoteMark:
    """A team's note, drawn as a labelled vertical line at its date."""

    on_date: date
    text: str


@dataclass(frozen=True)
class CycleMark:
    """The start of a PDSA cycle after the first, drawn as a labelled line: "Cycle 2"."""

    started_on: date
    number: int


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
    notes: Sequence[NoteMark] = (),
    cycles: Sequence[CycleMark] = (),
) -> str:
    """Weekly means with the centre line and process limits; special causes marked."""
    with chart_style():
        figure, axes = _weekly_figure(weeks, values)
        for level, style in ((chart.mean, "-"), (chart.upl, "--"), (chart.lpl, "--")):
            axes.axhline(level, color=GREY, linestyle=style, linewidth=1)
        flagged = sorted({signal.index for signal in chart.signals})
        _mark_flagged(axes, weeks, values, flagged, RED)
        from matplotlib.lines import Line2D  # see charts/svg.py

        legend = [
            Line2D([], [], color=GREY, linestyle="-", label="Mean (before go-live)"),
            Line2D([], [], color=GREY, linestyle="--", label="Process limits"),
            _flag_legend(RED, "Special cause"),
        ]
        _mark_cycles(axes, weeks, cycles, legend)
        return _finish(figure, axes, weeks, go_live_index, notes, legend, unit, title, description)


def run_svg(
    weeks: Sequence[date],
    values: Sequence[float],
    runs: RunChart,
    go_live_index: int | None,
    *,
    unit: str,
    title: str,
    description: str,
    notes: Sequence[NoteMark] = (),
    cycles: Sequence[CycleMark] = (),
) -> str:
    """Weekly means with the median of the weeks before go-live; the weeks of an unusually
    long run marked (stats/runs.py)."""
    with chart_style():
        figure, axes = _weekly_figure(weeks, values)
        axes.axhline(runs.median, color=GREY, linestyle="-", linewidth=1)
        _mark_flagged(axes, weeks, values, runs.long_run_points, RED)
        from matplotlib.lines import Line2D  # see charts/svg.py

        legend = [
            Line2D([], [], color=GREY, linestyle="-", label="Median (before go-live)"),
            _flag_legend(RED, "Unusually long run"),
        ]
        _mark_cycles(axes, weeks, cycles, legend)
        return _finish(figure, axes, weeks, go_live_index, notes, legend, unit, title, description)


def _weekly_figure(weeks: Sequence[date], values: Sequence[float]):
    """The weekly line both weekly charts draw (inside `chart_style`)."""
    figure = new_figure(8.0, 3.4)
    axes = figure.add_subplot()
    axes.plot(weeks, values, color=BLACK, linewidth=1.2, marker="o", markersize=3.5)
    return figure, axes


def _mark_flagged(axes, weeks, values, flagged: Sequence[int], colour: str) -> None:
    if flagged:
        axes.scatter(
            [weeks[i] for i in flagged],
            [values[i] for i in flagged],
            marker="s",
            s=46,
            facecolors="none",
            edgecolors=colour,
            linewidths=1.8,
            zorder=3,
        )


def _flag_legend(colour: str, label: str):
    from matplotlib.lines import Line2D  # see charts/svg.py

    return Line2D(
        [],
        [],
        marker="s",
        linestyle="",
        markerfacecolor="none",
        markeredgecolor=colour,
        label=label,
    )


def _finish(figure, axes, weeks, go_live_index, notes, legend, unit, title, description) -> str:
    """What the weekly charts share: the go-live line, the team's notes, the legend above."""
    from matplotlib.lines import Line2D  # see charts/svg.py

    if go_live_index is not None:
        axes.axvline(weeks[go_live_index], color=BLUE, linewidth=1.5)
    legend = [*legend, Line2D([], [], color=BLUE, label="Go-live")]
    shown = _notes_within(weeks, notes)
    for note in shown:
        label = note.text
        if len(label) > NOTE_LABEL_CHARACTERS:
            label = label[: NOTE_LABEL_CHARACTERS - 1].rstrip() + "…"
        # Beside the line, reading upwards from the foot of the plot.
        _labelled_line(axes, note.on_date, label, PURPLE, ":", upright=True)
    if shown:
        legend.append(Line2D([], [], color=PURPLE, linestyle=":", label="Team's note"))
    axes.set_ylabel(unit)
    axes.legend(
        handles=legend,
        loc="upper left",
        fontsize=9,
        frameon=False,
        ncols=len(legend),
        bbox_to_anchor=(0, 1.15),
    )
    figure.autofmt_xdate()
    return to_svg(figure, title, description)


def _mark_cycles(axes, weeks: Sequence[date], cycles: Sequence[CycleMark], legend: list) -> None:
    """Each cycle's start within the charted weeks as a dash-dot line labelled at the top
    ("Cycle 2"), apart from the notes' dotted lines labelled at the foot; never colour alone."""
    from matplotlib.lines import Line2D  # see charts/svg.py

    shown = [cycle for cycle in cycles if _within(weeks, cycle.started_on)]
    for cycle in shown:
        # Level at the top of the plot, clear of the notes' labels at its foot.
        _labelled_line(axes, cycle.started_on, f"Cycle {cycle.number}", BLACK, "-.", upright=False)
    if shown:
        legend.append(Line2D([], [], color=BLACK, linestyle="-.", label="PDSA cycle starts"))


def _labelled_line(axes, day: date, label: str, color: str, style: str, *, upright: bool):
    """A vertical line at `day` with its label in the charts' smallest text (9 pt, 12 px at
    phone width): upright from the foot of the plot, or level from its top."""
    axes.axvline(day, color=color, linestyle=style, linewidth=1.5)
    axes.annotate(
        label,
        xy=(day, 0.02 if upright else 0.98),
        xycoords=("data", "axes fraction"),
        xytext=(-3 if upright else 3, 0),
        textcoords="offset points",
        rotation=90 if upright else 0,
        ha="right" if upright else "left",
        va="bottom" if upright else "top",
        fontsize=9,
        color=color,
    )


def _within(weeks: Sequence[date], day: date) -> bool:
    return bool(weeks) and weeks[0] <= day <= weeks[-1] + timedelta(days=6)


def _notes_within(weeks: Sequence[date], notes: Sequence[NoteMark]) -> list[NoteMark]:
    """The notes dated within the charted weeks (the list under the charts has them all)."""
    if not weeks:
        return []
    last_day = weeks[-1] + timedelta(days=6)
    return [note for note in notes if weeks[0] <= note.on_date <= last_day]
