"""Invariants that must hold for any data (hypothesis)."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gains.stats.design import estimate_improvement

SWAP = {"before": "after", "after": "before"}


@st.composite
def frames(draw, design):
    groups = ("treatment", "control") if design.startswith("did") else ("treatment",)
    rows = []
    for group in groups:
        for phase in ("before", "after"):
            n = draw(st.integers(2, 8))
            centre = draw(st.integers(-40, 40))
            steps = draw(
                st.lists(st.integers(-10, 10), min_size=n, max_size=n).filter(
                    lambda xs: len(set(xs)) > 1
                )
            )  # some variation, so p is defined
            for i, step in enumerate(steps):
                rows.append(
                    {
                        "group": group,
                        "phase": phase,
                        "unit": f"{group}{i % 3}",
                        "value": centre + step / 4,
                    }
                )
    frame = pd.DataFrame(rows)
    # did_units: DiD whose units repeat (unit change scores, CR2)
    return frame if design in ("paired", "did_units") else frame.drop(columns="unit")


DESIGNS = ["welch", "paired", "did", "did_units"]


def declared(design):
    return "did" if design == "did_units" else design


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(DESIGNS).flatmap(lambda d: st.tuples(st.just(d), frames(d))))
def test_swapping_phases_negates_the_effect(case):
    design, frame = case
    original = estimate_improvement(frame, declared(design))
    swapped = estimate_improvement(frame.assign(phase=frame["phase"].map(SWAP)), declared(design))
    assert swapped.method == original.method
    assert swapped.effect == pytest.approx(-original.effect, rel=1e-9, abs=1e-9)
    assert swapped.se == pytest.approx(original.se, rel=1e-9)
    if original.p_value is not None:
        assert swapped.p_value == pytest.approx(original.p_value, rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(DESIGNS).flatmap(lambda d: st.tuples(st.just(d), frames(d))),
    st.sampled_from([0.001, 0.5, 3.0, 1000.0, -2.0]),
)
def test_scaling_values_scales_the_effect_and_keeps_p(case, factor):
    design, frame = case
    original = estimate_improvement(frame, declared(design))
    scaled = estimate_improvement(frame.assign(value=frame["value"] * factor), declared(design))
    assert scaled.effect == pytest.approx(factor * original.effect, rel=1e-9, abs=1e-9)
    assert scaled.se == pytest.approx(abs(factor) * original.se, rel=1e-9)
    if original.p_value is not None:
        assert scaled.p_value == pytest.approx(original.p_value, rel=1e-7, abs=1e-12)
    if original.hedges_g is not None and factor > 0:
        assert scaled.hedges_g == pytest.approx(original.hedges_g, rel=1e-9, abs=1e-12)
