"""Turning a matplotlib figure into accessible, deterministic SVG text.

matplotlib is imported when the first chart is drawn, not when the app starts (it costs
about 0.5 s and 40 MB, which a command such as `gains import` never needs): the chart
modules reach it only through `new_figure` and `chart_style` here, and import their other
matplotlib helpers inside their drawing functions.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from gains import numbers

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# GOV.UK Design System colours (contrast-checked against white).
BLUE = "#1d70b8"
BLACK = "#0b0c0c"
GREY = "#505a5f"
RED = "#d4351c"
PURPLE = "#4c2c92"

STYLE = {
    "svg.fonttype": "none",  # text stays text: smaller, selectable, readable by assistive tech
    # Titles and units are typed by people: a "$" must not start maths markup (an unbalanced
    # one raised while drawing), nor "\\", "^" or "_" mean anything but themselves.
    "text.parse_math": False,
    "text.usetex": False,
    "svg.hashsalt": "gains",  # stable element ids, so the same data gives the same bytes
    # Bundled with matplotlib, so text is measured the same on every machine.
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.edgecolor": GREY,
    "axes.labelcolor": BLACK,
    "xtick.color": BLACK,
    "ytick.color": BLACK,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


# A chart's £ labels are written by the one number style (gains/numbers.py).
pounds_label = numbers.short_gbp


def _matplotlib():
    import matplotlib

    matplotlib.use("Agg")  # no display here; must precede any pyplot import anywhere
    return matplotlib


def chart_style():
    """The house style; wrap all of a chart's drawing in it (rcParams apply at creation)."""
    return _matplotlib().rc_context(STYLE)


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure outside pyplot's global state (safe in threaded servers)."""
    _matplotlib()
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasSVG(figure)
    return figure


def to_svg(figure: Figure, title: str, description: str) -> str:
    """SVG text with a <title> and <desc> as its first children, labelled for screen readers."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    opening_end = svg.index(">", svg.index("<svg")) + 1
    labelled = svg[:opening_end].replace(
        "<svg ", '<svg role="img" aria-labelledby="chart-title chart-desc" ', 1
    )
    return (
        labelled
        + f'<title id="chart-title">{escape(title)}</title>'
        + f'<desc id="chart-desc">{escape(description)}</desc>'
        + svg[opening_end:]
    )
