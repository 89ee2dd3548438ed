"""The idea's common scale: relative change when every result has one, else Hedges' g with
time series left out (gains/stats/common_scale.py; decision 0047)."""

from __future__ import annotations

import pytest

from gains.stats.common_scale import HEDGES_G, RELATIVE, ScaledResult, common_scale
from gains.stats.pooling import pool_random_effects


def result(key, relative=0.1, relative_se=0.05, g=0.3, g_var=0.01, series=False, higher=True):
    return ScaledResult(key, relative, relative_se, higher, g, g_var, series)


def test_relative_change_when_every_result_has_one():
    placed = common_scale(
        [result(1), result(2, relative=-0.2, relative_se=0.1, higher=False), result(3, -0.1)]
    )
    assert placed.scale == RELATIVE and placed.left_out == []
    # A fall where lower is better is a gain; where higher is better, a loss.
    assert placed.placed == [
        (1, 0.1, pytest.approx(0.0025)),
        (2, 0.2, pytest.approx(0.01)),
        (3, -0.1, pytest.approx(0.0025)),
    ]


def test_hedges_g_when_any_lacks_a_relative_change_and_time_series_left_out():
    placed = common_scale(
        [result(1), result(2, relative=None), result(3, series=True), result(4, g=None)]
    )
    assert placed.scale == HEDGES_G
    assert placed.placed == [(1, 0.3, 0.01), (2, 0.3, 0.01)]
    assert placed.left_out == [3, 4]


def test_a_zero_standard_error_is_not_a_usable_relative_change():
    assert common_scale([result(1), result(2, relative_se=0.0)]).scale == HEDGES_G


def test_no_results_is_an_empty_g_scale():
    empty = common_scale([])
    assert empty.scale == HEDGES_G and empty.placed == [] and empty.left_out == []


@pytest.mark.parametrize("case", ["reminders", "similar"])
def test_pooled_on_the_relative_scale_matches_metafor(reference, case):
    """The idea's places signed by direction and pooled as the department pooling does:
    metafor's rma(method="DL", test="knha") and predict(pi.type="riley")
    (tests/reference/idea_pooling.R)."""
    expected = reference("idea_pooling")[case]
    places = [
        ScaledResult(key, relative, se, direction == "higher", None, None, False)
        for key, (relative, se, direction) in enumerate(
            zip(expected["relative"], expected["relative_se"], expected["direction"], strict=True)
        )
    ]
    on_scale = common_scale(places)
    assert on_scale.scale == RELATIVE
    pooled = pool_random_effects(
        [effect for _, effect, _ in on_scale.placed],
        [variance for _, _, variance in on_scale.placed],
    )
    assert pooled.k == expected["k"]
    for name in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "q"):
        assert getattr(pooled, name) == pytest.approx(expected[name], rel=1e-6, abs=1e-14), name
