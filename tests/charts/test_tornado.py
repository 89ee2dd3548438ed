"""The tornado (sensitivity) chart: order, scale, escaping, and text that fits the canvas."""

from __future__ import annotations

import itertools
import re
from xml.etree import ElementTree as ET

import pytest

from gains.charts.svg import chart_style, pounds_label
from gains.charts.tornado import TornadoBar, swing_pence, tornado_figure, tornado_svg

SVG = "{http://www.w3.org/2000/svg}"
MILLION = 100_000_000  # £1m in pence


def _scenarios(base: int) -> list[TornadoBar]:
    """The sensitivity view's scenarios around a base headline (pence), deliberately unsorted."""
    return [
        TornadoBar("Shrinkage off", base, base + base // 4, "shrinkage on", "shrinkage off"),
        TornadoBar("Input ranges", base - base // 4, base + base // 6, "low inputs", "high inputs"),
        TornadoBar("Level-2 items included", base, base + base // 2, "level 3+", "with level 2"),
    ]


def _svg(base: int, bars: list[TornadoBar], description: str = "How the headline moves.") -> str:
    return tornado_svg(base, bars, "Sensitivity of the headline", description)


def _groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def _x_extent(group: ET.Element) -> tuple[float, float]:
    """The x range, in SVG points, of the path matplotlib wrote inside a group."""
    d = group.find(f"{SVG}path").get("d")
    xs = [float(x) for x, _y in re.findall(r"(-?[\d.]+) (-?[\d.]+)", d)]
    return min(xs), max(xs)


def _row_labels(root: ET.Element) -> list[str]:
    """Each row's full scenario name (its <title>), top row first."""
    groups = _groups(root)
    labels = []
    for index in itertools.count():
        group = groups.get(f"tornado-label-{index}")
        if group is None:
            return labels
        labels.append(group.find(f"{SVG}title").text)


def _texts(root: ET.Element) -> str:
    return " ".join("".join(text.itertext()) for text in root.iter(f"{SVG}text"))


def test_the_svg_parses_and_carries_its_title_and_description():
    svg = _svg(12 * MILLION, _scenarios(12 * MILLION), "Level 2 adds £6.0m & more.")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("viewBox").startswith("0 0 ")
    assert root.find(f"{SVG}title").text == "Sensitivity of the headline"
    assert root.find(f"{SVG}desc").text == "Level 2 adds £6.0m & more."
    assert "Base case: £12.0m" in _texts(root)
    assert svg == _svg(12 * MILLION, _scenarios(12 * MILLION), "Level 2 adds £6.0m & more.")


def test_rows_run_from_the_widest_swing_down_and_ties_keep_their_order():
    base = 12 * MILLION
    tie = TornadoBar("Same swing as shrinkage", base - base // 4, base, "low", "base")
    root = ET.fromstring(_svg(base, [*_scenarios(base), tie]))
    # Swings: level 2 £6m, input ranges £3m + £2m = £5m, shrinkage £3m, then the tie's £3m.
    assert _row_labels(root) == [
        "Level-2 items included",
        "Input ranges",
        "Shrinkage off",
        "Same swing as shrinkage",
    ]
    assert swing_pence(_scenarios(base)[1], base) == 5 * MILLION


def test_bar_ends_sit_in_proportion_to_their_distance_from_the_base():
    # Worked by hand: base £10m; row A reaches £14m and £8m, row B £12m. So A's high end is
    # twice as far right as B's, and A's low end half as far left as B's high end is right.
    base = 10 * MILLION
    bars = [
        TornadoBar("A", 8 * MILLION, 14 * MILLION, "low", "high"),
        TornadoBar("B", base, 12 * MILLION, "low", "high"),
    ]
    groups = _groups(ET.fromstring(_svg(base, bars)))
    base_x, same_x = _x_extent(groups["tornado-base"])
    assert base_x == pytest.approx(same_x)  # a vertical line
    a_low_left, a_low_right = _x_extent(groups["tornado-bar-0-low"])
    a_high_left, a_high_right = _x_extent(groups["tornado-bar-0-high"])
    b_high_left, b_high_right = _x_extent(groups["tornado-bar-1-high"])
    assert a_low_right == a_high_left == b_high_left == pytest.approx(base_x)
    unit = b_high_right - base_x  # £2m
    assert unit > 20
    assert a_high_right - base_x == pytest.approx(2 * unit, abs=0.01)
    assert base_x - a_low_left == pytest.approx(unit, abs=0.01)
    assert "tornado-bar-1-low" not in groups  # B's low end is the base: nothing to draw


def test_markup_in_labels_is_escaped_and_kept_whole():
    label = 'Level 2 <included> & "shrunk"'
    bar = TornadoBar(label, MILLION, 3 * MILLION, "<low>", 'a & "high"')
    svg = _svg(2 * MILLION, [bar], 'x < y & "z"')
    assert "<included>" not in svg and "<low>" not in svg
    root = ET.fromstring(svg)
    assert _row_labels(root) == [label]
    assert root.find(f"{SVG}desc").text == 'x < y & "z"'
    texts = _texts(root)
    assert "<low>" in texts and 'a & "high"' in texts
    groups = _groups(root)
    assert groups["tornado-end-0-left"].find(f"{SVG}title").text == "£1.0m <low>"
    assert groups["tornado-end-0-right"].find(f"{SVG}title").text == '£3.0m a & "high"'


def test_long_names_are_cut_in_the_drawing_and_whole_in_their_titles():
    name = "Annual volume and £ per unit both at the low end of their ranges, all at once"
    bar = TornadoBar(name, 0, 2 * MILLION, name, "high")
    root = ET.fromstring(_svg(MILLION, [bar]))
    texts = _texts(root)
    assert name not in texts and "Annual volume and…" in texts
    assert _row_labels(root) == [name]
    assert _groups(root)["tornado-end-0-left"].find(f"{SVG}title").text == f"£0 {name}"


def test_one_bar():
    root = ET.fromstring(_svg(MILLION, [TornadoBar("Only", 0, 2 * MILLION, "low", "high")]))
    assert _row_labels(root) == ["Only"]
    assert {"tornado-bar-0-low", "tornado-bar-0-high"} <= _groups(root).keys()


def test_a_scenario_that_moves_nothing_says_so_and_draws_no_bar():
    base = 5 * MILLION
    root = ET.fromstring(_svg(base, [TornadoBar("Nothing moves", base, base, "low", "high")]))
    assert not [gid for gid in _groups(root) if gid.startswith("tornado-bar-")]
    assert "no change" in _texts(root)


def test_all_negative_headlines_keep_their_minus_signs_and_order():
    base = -4 * MILLION
    bars = [
        TornadoBar("Small", -5 * MILLION, -3 * MILLION, "low", "high"),
        TornadoBar("Large", -9 * MILLION, -2 * MILLION, "low", "high"),
    ]
    root = ET.fromstring(_svg(base, bars))
    assert _row_labels(root) == ["Large", "Small"]
    texts = _texts(root)
    assert "Base case: −£4.0m" in texts and "−£9.0m" in texts and "−£2.0m" in texts
    groups = _groups(root)
    base_x, _ = _x_extent(groups["tornado-base"])
    assert (
        _x_extent(groups["tornado-bar-0-low"])[0]
        < base_x
        < _x_extent(groups["tornado-bar-0-high"])[1]
    )


def test_a_huge_range_draws_in_billions():
    bars = [TornadoBar("Huge", -(10**12), 10**12, "low", "high")]
    root = ET.fromstring(_svg(0, bars))
    texts = _texts(root)
    assert "−£10.0bn" in texts and "£10.0bn" in texts and "Base case: £0" in texts


@pytest.mark.parametrize(
    ("pounds", "text"),
    [
        (0, "£0"),
        (999.4, "£999"),
        (999.6, "£1k"),
        (350_000, "£350k"),
        (999_600, "£1.0m"),
        (1_234_567, "£1.2m"),
        (-1_250_000, "−£1.2m"),
        (-0.4, "£0"),
        (3.4e9, "£3.4bn"),
    ],
)
def test_pounds_are_written_short(pounds, text):
    assert pounds_label(pounds) == text


LONG = "Annual volume and £ per unit both at the low end of their entered ranges, all at once"
CASES = {
    "no scenarios": (MILLION, []),
    "treasury": (12 * MILLION, _scenarios(12 * MILLION)),
    "one bar": (MILLION, [TornadoBar("Only", 0, 2 * MILLION, "low", "high")]),
    "zero swing": (MILLION, [TornadoBar("Flat", MILLION, MILLION, "low", "high")]),
    "negative": (-4 * MILLION, [TornadoBar("Neg", -9 * MILLION, -2 * MILLION, "lo", "hi")]),
    "huge": (0, [TornadoBar("Huge", -(10**12), 10**12, "low", "high")]),
    "one side": (MILLION, [TornadoBar("One side", 2 * MILLION, 3 * MILLION, "near", "far")]),
    "long text": (
        12 * MILLION,
        [TornadoBar(LONG, 6 * MILLION, 30 * MILLION, LONG, LONG)] * 2 + _scenarios(12 * MILLION),
    ),
    "unbreakable": (
        -(10**11),
        [TornadoBar("X" * 300, -(10**12), 10**11, "Y" * 80, "Z" * 80) for _ in range(8)],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_no_text_leaves_the_canvas_or_overlaps_other_text_or_bars(case):
    base, bars = CASES[case]
    import matplotlib.text  # loaded when first drawn, as in the app (charts/svg.py)

    with chart_style():
        figure = tornado_figure(base, bars)
        figure.draw_without_rendering()
        axes = figure.axes[0]
        x_min, x_max = axes.get_xlim()
        texts = [
            text
            for text in figure.findobj(matplotlib.text.Text)
            if text.get_visible()
            and text.get_text().strip()
            # Tick labels outside the shown range exist but are not drawn.
            and not (
                text in axes.get_xticklabels() and not x_min <= text.get_position()[0] <= x_max
            )
        ]
        boxes = [text.get_window_extent() for text in texts]
        bars_drawn = [patch.get_window_extent() for patch in axes.patches]
        canvas = figure.bbox
    for text, box in zip(texts, boxes, strict=True):
        assert canvas.x0 <= box.x0 and box.x1 <= canvas.x1, text.get_text()
        assert canvas.y0 <= box.y0 and box.y1 <= canvas.y1, text.get_text()
        assert not any(box.overlaps(bar) for bar in bars_drawn), text.get_text()
    for (one, one_box), (other, other_box) in itertools.combinations(
        zip(texts, boxes, strict=True), 2
    ):
        assert not one_box.overlaps(other_box), (one.get_text(), other.get_text())
