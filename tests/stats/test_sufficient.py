"""Sufficient-statistics path: against R directly, and equal to the raw path to 1e-9."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gains.stats.design import estimate_improvement
from gains.stats.frames import clean_measurements
from gains.stats.sufficient import (
    PAIRED_AGGREGATE_COLUMNS,
    CellAggregates,
    did_from_cells,
    paired_from_differences,
    welch_from_cells,
)
from tests.support.aggregates import cell_aggregates, paired_aggregates

REL = 1e-9
COMPARED = (
    "effect",
    "se",
    "df",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
    "gain",
    "relative_change",
    "relative_se",
    "hedges_g",
    "hedges_g_variance",
    "cs_low",
    "cs_high",
)


def cells_of(table: pd.DataFrame, **where) -> CellAggregates:
    mask = np.logical_and.reduce([table[key] == value for key, value in where.items()])
    rows = table[mask]
    return CellAggregates.of(rows["n"], rows["mean"], rows["variance"])


def test_welch_from_cells_matches_r(reference, reference_data):
    table = cell_aggregates(clean_measurements(reference_data("welch")), ["phase"])
    result = welch_from_cells(cells_of(table, phase="before"), cells_of(table, phase="after"))
    expected = reference("two_group")["welch_95"]
    for name in ("effect", "se", "df", "statistic", "p_value", "ci_low", "ci_high", "hedges_g"):
        assert getattr(result, name)[0] == pytest.approx(expected[name], rel=REL), name
    assert result.relative_se[0] == pytest.approx(expected["relative"]["se"], rel=REL)


def test_treatment_vs_control_from_cells_matches_r(reference, reference_data):
    table = cell_aggregates(clean_measurements(reference_data("rct")), ["group"])
    result = welch_from_cells(cells_of(table, group="control"), cells_of(table, group="treatment"))
    expected = reference("two_group")["rct_95"]
    for name in ("effect", "se", "df", "p_value", "ci_low", "ci_high", "hedges_g"):
        assert getattr(result, name)[0] == pytest.approx(expected[name], rel=REL), name


@pytest.mark.parametrize(
    ("key", "cov"),
    [("hc3", "HC3"), ("hc2", "HC2"), ("hc1", "HC1"), ("hc0", "HC0"), ("nonrobust", "nonrobust")],
)
def test_did_closed_forms_match_r_sandwich(reference, reference_data, key, cov):
    table = cell_aggregates(clean_measurements(reference_data("did")), ["group", "phase"])
    result = did_from_cells(
        cells_of(table, group="treatment", phase="before"),
        cells_of(table, group="treatment", phase="after"),
        cells_of(table, group="control", phase="before"),
        cells_of(table, group="control", phase="after"),
        cov=cov,
    )
    expected = reference("did")[key]
    for name in (
        "effect",
        "se",
        "df",
        "p_value",
        "ci_low",
        "ci_high",
        "counterfactual_mean",
        "relative_change",
        "relative_se",
        "hedges_g",
        "hedges_g_variance",
    ):
        assert getattr(result, name)[0] == pytest.approx(expected[name], rel=REL), name


def test_paired_from_differences_matches_r(reference, reference_data):
    frame = clean_measurements(reference_data("paired")).assign(improvement=1)
    table = paired_aggregates(frame, ["improvement"])
    result = paired_from_differences(**{c: table[c] for c in PAIRED_AGGREGATE_COLUMNS})
    expected = reference("two_group")["paired_95"]
    for name in ("effect", "se", "df", "statistic", "p_value", "hedges_g", "hedges_g_variance"):
        assert getattr(result, name)[0] == pytest.approx(expected[name], rel=REL), name
    assert result.relative_se[0] == pytest.approx(expected["relative"]["se"], rel=REL)


def test_two_pass_variance_keeps_digits_with_a_large_offset():
    values = 1e9 + np.array([4.0, 7.0, 13.0, 16.0])
    frame = pd.DataFrame({"k": 1, "value": values})
    assert cell_aggregates(frame, ["k"])["variance"].iloc[0] == 30.0


# --- equality with the raw path over many improvements at once -------------------------------


def measurements(draw, improvement: int, groups: tuple[str, ...], with_units: bool):
    rows = []
    for group in groups:
        for phase in ("before", "after"):
            # Up to 12 rows: the always-valid interval is defined from 10 a cell.
            n = draw(st.integers(2, 12))
            centre = draw(st.integers(-200, 200)) / 4
            spread = draw(st.integers(1, 40)) / 2
            # Quarter steps: realistic recorded values, ties (zero variance) included.
            noise = draw(st.lists(st.integers(-8, 8), min_size=n, max_size=n))
            for i, step in enumerate(noise):
                z = step / 4
                unit = f"{group}-{i % 3}" if with_units else None
                rows.append((improvement, group, phase, unit, centre + spread * z))
    return rows


@st.composite
def many_improvements(draw, groups, with_units=False):
    count = draw(st.integers(1, 6))
    rows = [row for i in range(count) for row in measurements(draw, i, groups, with_units)]
    frame = pd.DataFrame(rows, columns=["improvement", "group", "phase", "unit", "value"])
    if not with_units:
        frame = frame.drop(columns="unit")
    return frame


def assert_each_equals_raw(arrays, frame, design, **kwargs):
    for position, (_, rows) in enumerate(frame.groupby("improvement", sort=True)):
        raw = estimate_improvement(rows.drop(columns="improvement"), design, **kwargs)
        for name in COMPARED:
            expected = getattr(raw, name)
            actual = getattr(arrays, name)[position]
            if expected is None:
                assert np.isnan(actual), name
            else:
                assert actual == pytest.approx(expected, rel=REL, abs=1e-12), name
        for flag in ("small_sample", "zero_variance", "denominator_ci_includes_zero"):
            assert bool(getattr(arrays, flag)[position]) == (flag in raw.warnings), flag


@settings(max_examples=20, deadline=None)
@given(many_improvements(groups=("treatment",)), st.sampled_from(["higher", "lower"]))
def test_welch_cells_equal_raw_path(frame, direction):
    table = cell_aggregates(frame, ["improvement", "phase"])
    sign = 1.0 if direction == "higher" else -1.0
    arrays = welch_from_cells(
        cells_of(table, phase="before"),
        cells_of(table, phase="after"),
        sign,
        planned_sample_size=30,
    )
    assert_each_equals_raw(arrays, frame, "welch", direction=direction, planned_sample_size=30)


# Found by Hypothesis: constant cells whose effect and counterfactual are both 0. OLS leaves
# an SE of ~1e-17 (rounding noise next to the control's 0.25), the cells an SE of exactly 0.
CONSTANT_CELLS_WITH_A_ZERO_EFFECT = pd.DataFrame(
    {
        "improvement": 0,
        "group": ["treatment"] * 4 + ["control"] * 4,
        "phase": ["before", "before", "after", "after"] * 2,
        "value": [0.0] * 4 + [0.25] * 4,
    }
)


@settings(max_examples=20, deadline=None)
@given(
    many_improvements(groups=("treatment", "control")), st.sampled_from(["HC3", "HC1", "nonrobust"])
)
@example(CONSTANT_CELLS_WITH_A_ZERO_EFFECT, "HC3")
def test_did_cells_equal_raw_path(frame, cov):
    table = cell_aggregates(frame, ["improvement", "group", "phase"])
    arrays = did_from_cells(
        cells_of(table, group="treatment", phase="before"),
        cells_of(table, group="treatment", phase="after"),
        cells_of(table, group="control", phase="before"),
        cells_of(table, group="control", phase="after"),
        cov=cov,
    )
    assert_each_equals_raw(arrays, frame, "did", cov=cov)


@settings(max_examples=20, deadline=None)
@given(many_improvements(groups=("treatment",), with_units=True))
def test_paired_aggregates_equal_raw_path(frame):
    table = paired_aggregates(frame.drop(columns="group"), ["improvement"])
    arrays = paired_from_differences(**{c: table[c] for c in PAIRED_AGGREGATE_COLUMNS})
    assert_each_equals_raw(arrays, frame, "paired")
