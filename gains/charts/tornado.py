"""Tornado (sensitivity) chart: how one headline moves under each scenario's two ends.

Each row is a scenario (level-2 items included, shrinkage off, the low and high input ranges).
Its bar runs from the base case to the headline at each end, widest swing on top; a vertical
line marks the base case. Every end that moves the headline is labelled with its figure and
its name in text, so colour is never the only cue (low ends grey, high ends blue).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from gains.charts.svg import BLACK, BLUE, GREY, chart_style, new_figure, pounds_label, to_svg

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGURE_WIDTH_IN = 6.4  # narrower than the other charts: its text stays legible on a phone
LABEL_LINE_CHARACTERS = 24
LABEL_MAX_LINES = 2  # a longer scenario name is cut with "…"; its full text is its <title>
END_LABEL_CHARACTERS = 18
END_FONT_PT = 9
LABEL_FONT_PT = 11  # the house font size (charts/svg.py STYLE)
LINE_SPACING = 1.25  # matplotlib's default line height, with a little air
TEXT_GAP_PT = 4  # between a bar's end and its figure
BAR_FRACTION = 0.5  # of a row's height
HEADER_IN = 0.35  # above the top row, for the base case's figure
AXIS_IN = 0.8  # below the rows: tick labels and the axis title
FIT_ROUNDS = 3  # layout, measure, widen the x range; the layout settles within two


@dataclass(frozen=True)
class TornadoBar:
    """One scenario: the headline at each of its two ends (either may equal the base)."""

    label: str
    low_pence: int
    high_pence: int
    low_label: str
    high_label: str


def swing_pence(bar: TornadoBar, base_pence: int) -> int:
    """The width the bar is drawn: from the lowest to the highest of its two ends and the base."""
    values = (bar.low_pence, bar.high_pence, base_pence)
    return max(values) - min(values)


def tornado_svg(base_pence: int, bars: Sequence[TornadoBar], title: str, description: str) -> str:
    """The chart as SVG text with its <title> and <desc> (serve it with security.svg_response)."""
    ordered = _by_swing(base_pence, bars)
    with chart_style():
        svg = to_svg(tornado_figure(base_pence, ordered), title, description)
    # Full names as tooltips and for assistive technology, however the drawing cut them.
    for index, bar in enumerate(ordered):
        svg = _with_title(svg, _label_id(index), bar.label)
        for side in (-1, 1):
            full = "; ".join(_side_texts(bar, base_pence, side, cut=False)).replace("\n", " ")
            svg = _with_title(svg, _end_id(index, side), full)
    return svg


def tornado_figure(base_pence: int, bars: Sequence[TornadoBar]) -> Figure:
    """The drawn figure, rows in the order given (tornado_svg sorts them); call inside
    chart_style(). Kept apart from the SVG so tests can measure where every text landed."""
    end_lines = max(
        (len(_side_texts(bar, base_pence, side)) for bar in bars for side in (-1, 1)), default=1
    )
    # Two text lines per labelled end; a row is as tall as its tallest stack of text.
    row_pt = max(LABEL_MAX_LINES * LABEL_FONT_PT, 2 * end_lines * END_FONT_PT) * LINE_SPACING + 12
    row_in = row_pt / 72
    header_rows = HEADER_IN / row_in
    figure = new_figure(FIGURE_WIDTH_IN, (len(bars) + header_rows) * row_in + AXIS_IN)
    axes = figure.add_subplot()
    base = base_pence / 100
    rows = list(range(len(bars), 0, -1))
    end_texts = []
    for index, (y, bar) in enumerate(zip(rows, bars, strict=True)):
        _draw_bar(axes, index, y, bar, base_pence)
        end_texts += _annotate_ends(axes, index, y, bar, base_pence)
    axes.set_ylim(0.5, len(bars) + 0.5 + header_rows)
    axes.set_yticks(rows, [_wrapped(bar.label) for bar in bars])
    for index, tick_label in enumerate(axes.get_yticklabels()):
        tick_label.set_gid(_label_id(index))
    # Stops below the header, so it never runs through the base case's figure.
    axes.vlines(base, 0.5, len(bars) + 0.5, color=BLACK, linewidth=1.2, gid="tornado-base")
    base_text = axes.text(
        base,
        len(bars) + 0.5 + header_rows / 2,
        f"Base case: {pounds_label(base)}",
        va="center",
        fontsize=END_FONT_PT + 1,
        color=BLACK,
    )
    axes.set_xlabel("Headline (£ a year) at each end of each scenario")
    axes.tick_params(axis="y", length=0)
    axes.spines["left"].set_visible(False)
    from matplotlib.ticker import FuncFormatter, MaxNLocator  # see charts/svg.py

    axes.xaxis.set_major_locator(MaxNLocator(nbins=4))  # figures like "−£1.2m" need room
    axes.xaxis.set_major_formatter(FuncFormatter(lambda pounds, _position: pounds_label(pounds)))
    _fit_x_range(figure, axes, base_pence, bars, end_texts, base_text)
    return figure


def _by_swing(base_pence: int, bars: Sequence[TornadoBar]) -> list[TornadoBar]:
    # Stable: equal swings keep the caller's order, so the same data draw the same chart.
    return sorted(bars, key=lambda bar: -swing_pence(bar, base_pence))


def _label_id(index: int) -> str:
    return f"tornado-label-{index}"


def _end_id(index: int, side: int) -> str:
    return f"tornado-end-{index}-{'left' if side < 0 else 'right'}"


def _with_title(svg: str, gid: str, text: str) -> str:
    group = f'<g id="{gid}">'
    return svg.replace(group, f"{group}<title>{escape(text)}</title>", 1)


def _short(text: str, characters: int) -> str:
    if len(text) <= characters:
        return text
    return text[: characters - 1].rstrip() + "…"


def _wrapped(label: str) -> str:
    lines = textwrap.wrap(label, LABEL_LINE_CHARACTERS, break_long_words=True) or [""]
    if len(lines) > LABEL_MAX_LINES:
        rest = " ".join(lines[LABEL_MAX_LINES - 1 :])
        lines = [*lines[: LABEL_MAX_LINES - 1], _short(rest, LABEL_LINE_CHARACTERS)]
    return "\n".join(lines)


def _ends(bar: TornadoBar) -> list[tuple[int, str, str]]:
    return [(bar.low_pence, bar.low_label, "low"), (bar.high_pence, bar.high_label, "high")]


def _draw_bar(axes, index: int, y: float, bar: TornadoBar, base_pence: int) -> None:
    # The farther end first, so when both ends lie on one side the nearer one shows over it.
    moved = [end for end in _ends(bar) if end[0] != base_pence]
    for value_pence, _name, which in sorted(moved, key=lambda end: -abs(end[0] - base_pence)):
        axes.barh(
            y,
            (value_pence - base_pence) / 100,
            left=base_pence / 100,
            height=BAR_FRACTION,
            color=GREY if which == "low" else BLUE,
            edgecolor=BLACK,
            linewidth=0.6,
            gid=f"tornado-bar-{index}-{which}",
        )


def _side_texts(bar: TornadoBar, base_pence: int, side: int, *, cut: bool = True) -> list[str]:
    """The labelled ends left (side −1) or right (+1) of the base, the farthest first; each
    end's name cut to fit unless `cut` is false."""
    if side > 0 and bar.low_pence == bar.high_pence == base_pence:
        return ["no change\nat either end"]
    on_side = [end for end in _ends(bar) if (end[0] - base_pence) * side > 0]
    on_side.sort(key=lambda end: -abs(end[0] - base_pence))
    return [
        f"{pounds_label(value / 100)}\n{_short(name, END_LABEL_CHARACTERS) if cut else name}"
        for value, name, _which in on_side
    ]


def _annotate_ends(axes, index: int, y: float, bar: TornadoBar, base_pence: int) -> list:
    texts = []
    for side in (-1, 1):
        lines = _side_texts(bar, base_pence, side)
        if not lines:
            continue
        values = (bar.low_pence, bar.high_pence, base_pence)
        anchor = (max(values) if side > 0 else min(values)) / 100
        text = axes.annotate(
            "\n".join(lines),
            (anchor, y),
            xytext=(TEXT_GAP_PT * side, 0),
            textcoords="offset points",
            ha="left" if side > 0 else "right",
            va="center",
            fontsize=END_FONT_PT,
            color=BLACK,
            gid=_end_id(index, side),
        )
        text.set_in_layout(False)  # placed inside the axes by _fit_x_range instead
        texts.append((side, anchor, text))
    return texts


def _fit_x_range(figure, axes, base_pence, bars, end_texts, base_text) -> None:
    """Widen the x range until every end's figure fits inside the axes, then place the base
    case's figure where it cannot run off either side."""
    values = [base_pence / 100] + [v / 100 for bar in bars for v in (bar.low_pence, bar.high_pence)]
    low, high = min(values), max(values)
    if high == low:  # nothing moves: any honest scale, centred on the base
        half_span = max(abs(low) * 0.1, 1.0)
        low, high = low - half_span, high + half_span
    base_text.set_in_layout(False)
    for _round in range(FIT_ROUNDS):
        figure.draw_without_rendering()  # runs the constrained layout
        axes_width_px = axes.get_window_extent().width
        needs = [
            (side, anchor, text.get_window_extent().width + TEXT_GAP_PT * figure.dpi / 72 + 2)
            for side, anchor, text in end_texts
        ]
        x_min, x_max = low, high
        # Fixed point of: each text's width in data units depends on the range it widens.
        # It converges because the texts, cut to a few characters, fill under half the axes.
        for _ in range(200):
            per_px = (x_max - x_min) / axes_width_px
            x_min = min([low] + [at - need * per_px for side, at, need in needs if side < 0])
            x_max = max([high] + [at + need * per_px for side, at, need in needs if side > 0])
        axes.set_xlim(x_min, x_max)
    fraction = (base_pence / 100 - x_min) / (x_max - x_min)
    base_text.set_horizontalalignment(
        "left" if fraction < 0.3 else "right" if fraction > 0.7 else "center"
    )
