"""Pooling (metafor::rma), power (power.t.test) and BH (p.adjust) against R."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gains.stats.assemble import StatsInputError
from gains.stats.multiplicity import benjamini_hochberg
from gains.stats.pooling import pool_random_effects
from gains.stats.power import (
    minimum_detectable_effect,
    n_per_group_for_power,
    power_two_sample,
    solve_power,
)

REL = 1e-9
POOLED_FIELDS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "i2",
    "q",
    "q_p_value",
)


# The old normal CI (ci_method="z", rma's test="z"); HKSJ is in test_pooling_knha.py.
@pytest.mark.parametrize(
    ("key", "method", "rows"),
    [
        ("bcg_dl", "dl", slice(None)),
        ("bcg_pm", "pm", slice(None)),
        ("bcg_first3_dl", "dl", slice(0, 3)),
    ],
)
def test_pooling_matches_metafor_on_bcg_trials(reference, reference_data, key, method, rows):
    bcg = reference_data("bcg").iloc[rows]
    pooled = pool_random_effects(bcg["effect"], bcg["variance"], method=method, ci_method="z")
    expected = reference("pooling_power_bh")[key]
    assert pooled.k == expected["k"]
    for name in POOLED_FIELDS:
        assert getattr(pooled, name) == pytest.approx(expected[name], rel=REL), name


def test_bcg_cochran_q_published_value(reference_data):
    """Viechtbauer (2010, J. Stat. Softw. 36(3)) prints Q(df = 12) = 152.2330 for the BCG log
    risk ratios; Q does not depend on the tau^2 estimator. The 4-decimal DL figures are metafor's
    printout (tau^2 = 0.3088, estimate = -0.7141, I^2 = 92.12%)."""
    bcg = reference_data("bcg")
    pooled = pool_random_effects(bcg["effect"], bcg["variance"])
    assert pooled.q == pytest.approx(152.2330, abs=5e-5)
    assert pooled.tau2 == pytest.approx(0.3088, abs=5e-5)
    assert pooled.estimate == pytest.approx(-0.7141, abs=5e-5)
    assert pooled.i2 == pytest.approx(92.12, abs=5e-3)


@pytest.mark.parametrize(("key", "method"), [("homogeneous_dl", "dl"), ("homogeneous_pm", "pm")])
def test_homogeneous_effects_give_zero_tau2(reference, key, method):
    pooled = pool_random_effects(
        [0.10, 0.12, 0.11, 0.09], [0.04, 0.05, 0.03, 0.06], method, ci_method="z"
    )
    expected = reference("pooling_power_bh")[key]
    assert pooled.tau2 == 0.0 and pooled.i2 == 0.0
    for name in POOLED_FIELDS:
        assert getattr(pooled, name) == pytest.approx(expected[name], rel=REL, abs=1e-15), name


def test_pooling_refuses_fewer_than_three():
    with pytest.raises(StatsInputError, match="at least 3"):
        pool_random_effects([0.1, 0.2], [0.01, 0.02])


def test_power_matches_power_t_test(reference):
    for case in reference("pooling_power_bh")["power"]:
        power = power_two_sample(case["effect_size"], case["n"], case["alpha"])
        assert power == pytest.approx(case["power"], rel=1e-9)


def test_n_per_group_matches_power_t_test(reference):
    for case in reference("pooling_power_bh")["n_per_group"]:
        n = n_per_group_for_power(case["effect_size"], case["power"], case["alpha"])
        assert n == pytest.approx(case["n"], rel=1e-7)


def test_minimum_detectable_effect_matches_power_t_test(reference):
    for case in reference("pooling_power_bh")["minimum_detectable_effect"]:
        mde = minimum_detectable_effect(case["n"], case["power"], case["alpha"])
        assert mde == pytest.approx(case["effect_size"], rel=1e-7)


def test_textbook_sample_size():
    """Cohen (1988): d = 0.5, 80% power, alpha 0.05 two-sided needs 64 per group."""
    assert np.ceil(solve_power(effect_size=0.5, power=0.8).n_per_group) == 64


def test_solve_power_needs_exactly_one_unknown():
    with pytest.raises(StatsInputError):
        solve_power(effect_size=0.5)


def test_benjamini_hochberg_matches_p_adjust(reference):
    case = reference("pooling_power_bh")["bh"]
    adjusted = benjamini_hochberg(case["p"])
    expected = np.array([np.nan if x is None else x for x in case["adjusted"]])
    np.testing.assert_allclose(adjusted, expected, rtol=1e-12, equal_nan=True)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-2, 2), st.floats(0.001, 1)), min_size=3, max_size=12).flatmap(
        lambda studies: st.tuples(st.just(studies), st.permutations(studies))
    ),
    st.sampled_from(["dl", "pm"]),
    st.sampled_from(["knha", "adhoc", "z"]),
)
def test_pooling_does_not_depend_on_study_order(case, method, ci_method):
    studies, shuffled = case
    original = pool_random_effects(*zip(*studies, strict=True), method=method, ci_method=ci_method)
    reordered = pool_random_effects(
        *zip(*shuffled, strict=True), method=method, ci_method=ci_method
    )
    assert reordered.estimate == pytest.approx(original.estimate, rel=1e-9, abs=1e-12)
    assert reordered.tau2 == pytest.approx(original.tau2, rel=1e-7, abs=1e-12)
    assert 0.0 <= original.i2 <= 100.0
    assert original.pi_low <= original.ci_low and original.pi_high >= original.ci_high


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_bh_adjusted_p_values_are_at_least_raw_and_keep_their_order(p_values):
    adjusted = benjamini_hochberg(p_values)
    raw = np.array(p_values)
    assert np.all(adjusted >= raw - 1e-15) and np.all(adjusted <= 1.0)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(adjusted[order]) >= -1e-15)
