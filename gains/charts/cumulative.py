"""Cumulative savings over time: claimed and validated lines, each with its band."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gains.charts.svg import BLACK, BLUE, GREY, chart_style, new_figure, pounds_label, to_svg


@dataclass(frozen=True)
class CumulativePoint:
    month: date
    claimed_pounds: float
    claimed_low: float
    claimed_high: float
    validated_pounds: float
    validated_low: float
    validated_high: float


def cumulative_savings_svg(
    points: Sequence[CumulativePoint], *, title: str, description: str
) -> str:
    with chart_style():
        figure = new_figure(8.0, 3.6)
        axes = figure.add_subplot()
        months = [p.month for p in points]
        # Not colour alone: validated is solid, claimed dashed, and both are labelled.
        axes.fill_between(
            months,
            [p.claimed_low for p in points],
            [p.claimed_high for p in points],
            color=GREY,
            alpha=0.15,
            linewidth=0,
        )
        axes.fill_between(
            months,
            [p.validated_low for p in points],
            [p.validated_high for p in points],
            color=BLUE,
            alpha=0.18,
            linewidth=0,
        )
        axes.plot(
            months,
            [p.claimed_pounds for p in points],
            color=BLACK,
            linestyle="--",
            linewidth=1.6,
            label="Claimed (dashed), with 95% band",
        )
        axes.plot(
            months,
            [p.validated_pounds for p in points],
            color=BLUE,
            linewidth=2.2,
            label="Validated (solid), with 95% band",
        )
        axes.axhline(0, color=GREY, linewidth=0.8)
        from matplotlib.ticker import FuncFormatter  # see charts/svg.py

        axes.yaxis.set_major_formatter(
            FuncFormatter(lambda pounds, _position: pounds_label(pounds))
        )
        axes.set_ylabel("Cumulative net saving")
        axes.legend(loc="upper left", frameon=False)
        figure.autofmt_xdate()
        return to_svg(figure, title, description)
