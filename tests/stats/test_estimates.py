"""Welch, paired and treatment-vs-control estimates against R (t.test, metafor::escalc)."""

import numpy as np
import pandas as pd
import pytest

from gains.stats.design import estimate_improvement
from gains.stats.relative_change import relative_change
from gains.stats.warning_codes import StatsWarning

REL = 1e-9  # R and numpy agree to ~1e-14 here; 1e-9 leaves room for platform libm


def assert_matches_r(result, expected):
    for name in ("effect", "se", "statistic", "df", "p_value", "ci_low", "ci_high"):
        assert getattr(result, name) == pytest.approx(expected[name], rel=REL), name
    assert result.hedges_g == pytest.approx(expected["hedges_g"], rel=REL)
    assert result.hedges_g_variance == pytest.approx(expected["hedges_g_variance"], rel=REL)


def assert_relative_matches_r(result, expected):
    assert result.relative_change == pytest.approx(expected["ratio"], rel=REL)
    assert result.relative_se == pytest.approx(expected["se"], rel=REL)
    assert result.relative_ci_low == pytest.approx(expected["ci_low"], rel=REL)
    assert result.relative_ci_high == pytest.approx(expected["ci_high"], rel=REL)


@pytest.mark.parametrize(("key", "alpha"), [("welch_95", 0.05), ("welch_90", 0.10)])
def test_welch_matches_r_t_test_and_escalc_smd(reference, reference_data, key, alpha):
    expected = reference("two_group")[key]
    result = estimate_improvement(reference_data("welch"), "before_after", alpha=alpha)
    assert result.method == "welch"
    assert result.level == pytest.approx(1 - alpha)
    assert_matches_r(result, expected)
    assert_relative_matches_r(result, expected["relative"])
    assert (result.n_before, result.n_after) == (12, 15)
    assert StatsWarning.NO_CONTROL_GROUP in result.warnings


def test_paired_unit_means_match_r_and_drop_unpaired_units(reference, reference_data):
    expected = reference("two_group")["paired_95"]
    result = estimate_improvement(reference_data("paired"), "paired")
    assert result.method == "paired"
    assert_matches_r(result, expected)
    assert_relative_matches_r(result, expected["relative"])
    assert result.counts.n_units == expected["n_units"] == 11
    assert StatsWarning.DROPPED_UNPAIRED_UNITS in result.warnings
    assert result.details["n_units_dropped"] == 2


def test_sleep_data_paired_t_test_textbook_values(reference, reference_data):
    """Student (1908) sleep data; R's example(t.test): t = -4.0621, df = 9, p = 0.002833
    for group 1 - group 2, so +4.0621 for after - before here."""
    result = estimate_improvement(reference_data("sleep"), "paired")
    assert result.statistic == pytest.approx(4.0621, abs=5e-5)
    assert result.df == 9
    assert result.p_value == pytest.approx(0.002833, abs=5e-7)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.7001142, 2.4598858), abs=5e-8)
    assert_matches_r(result, reference("two_group")["sleep_95"])


def test_sleep_relative_change_is_withheld_when_before_mean_ci_includes_zero(reference_data):
    result = estimate_improvement(reference_data("sleep"), "paired")
    assert result.relative_change is None and result.relative_se is None
    assert StatsWarning.DENOMINATOR_CI_INCLUDES_ZERO in result.warnings


def test_randomised_trial_without_before_rows_is_welch_treatment_vs_control(
    reference, reference_data
):
    expected = reference("two_group")["rct_95"]
    result = estimate_improvement(reference_data("rct"), "control_group")
    assert result.method == "treatment_vs_control"
    assert_matches_r(result, expected)
    assert_relative_matches_r(result, expected["relative"])
    assert (result.counts.n_treatment_after, result.counts.n_control_after) == (14, 11)
    assert StatsWarning.DESIGN_DOWNGRADED not in result.warnings


def test_lower_is_better_flips_gain_and_hedges_g_only(reference_data):
    higher = estimate_improvement(reference_data("welch"), "welch", direction="higher")
    lower = estimate_improvement(reference_data("welch"), "welch", direction="lower")
    assert lower.effect == higher.effect
    assert lower.gain == -higher.gain
    assert (lower.gain_ci_low, lower.gain_ci_high) == (-higher.ci_high, -higher.ci_low)
    assert lower.hedges_g == -higher.hedges_g
    assert lower.p_value == higher.p_value


def test_small_samples_and_zero_variance_are_flagged():
    frame = pd.DataFrame({"phase": ["before"] * 3 + ["after"] * 3, "value": [5.0] * 6})
    result = estimate_improvement(frame, "welch")
    assert result.p_value is None and result.statistic is None
    assert StatsWarning.ZERO_VARIANCE in result.warnings
    assert StatsWarning.SMALL_SAMPLE in result.warnings


def test_underpowered_warning_uses_the_planned_effect():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"phase": ["before"] * 10 + ["after"] * 10, "value": rng.normal(10, 5, 20)}
    )
    assert StatsWarning.UNDERPOWERED in estimate_improvement(frame, planned_effect=1.0).warnings
    assert StatsWarning.UNDERPOWERED not in estimate_improvement(frame, planned_effect=50).warnings


def test_a_binary_outcome_has_no_outliers():
    """0/100 outcomes with a rare event have IQR 0; the events are not outliers."""
    from gains.stats.assemble import has_strong_outliers

    rare_event = pd.Series([0.0] * 95 + [100.0] * 5)
    assert not has_strong_outliers(rare_event)
    assert has_strong_outliers(pd.Series([10.0, 11, 12, 11, 10, 12, 11, 95]))


def test_relative_change_keeps_the_effects_sign_below_zero():
    """Before −20, after −15: the effect is +5, a 25 % rise, not −25 % (dividing by the signed
    counterfactual flipped it). The delta-method SE is the same either way, since |c| = ±c."""
    below = relative_change(5.0, -20.0, 4.0, 1.0, -1.0, 2.0)
    above = relative_change(5.0, 20.0, 4.0, 1.0, 1.0, 2.0)
    assert float(below.ratio) == pytest.approx(0.25)
    assert float(below.se) == pytest.approx(float(above.se))
    assert float(below.ci_low) < 0.25 < float(below.ci_high)


def test_an_estimate_below_zero_reports_the_rise_as_a_rise():
    frame = pd.DataFrame(
        {
            "phase": ["before"] * 6 + ["after"] * 6,
            "value": [
                -21.0,
                -19.5,
                -20.5,
                -20.0,
                -19.0,
                -20.0,
                -15.5,
                -14.5,
                -15.0,
                -16.0,
                -14.0,
                -15.0,
            ],
        }
    )
    result = estimate_improvement(frame, "before_after")
    assert result.effect == pytest.approx(5.0)
    assert result.relative_change == pytest.approx(0.25)
    assert result.relative_ci_low > 0


def test_paired_with_two_units_reports_no_hedges_g():
    """J(1) = 0 made g exactly 0.0 for any difference between two units; there is no
    small-sample correction with one degree of freedom, so g and its variance are null."""
    frame = pd.DataFrame(
        {
            "unit": ["A", "A", "B", "B"],
            "phase": ["before", "after", "before", "after"],
            "value": [10.0, 14.0, 12.0, 15.5],
        }
    )
    result = estimate_improvement(frame, "paired")
    assert result.method == "paired"
    assert result.effect == pytest.approx(3.75)
    assert result.hedges_g is None and result.hedges_g_variance is None


def test_rows_without_a_unit_left_out_of_a_paired_analysis_are_named():
    """Rows without a unit cannot be paired: they are left out, never silently (issue 19)."""
    paired = [
        {"phase": phase, "unit": unit, "value": value + (3.0 if phase == "after" else 0.0)}
        for unit, value in zip("abcdef", [10.0, 12.0, 9.5, 11.0, 13.0, 10.5], strict=True)
        for phase in ("before", "after")
    ]
    whole = estimate_improvement(pd.DataFrame(paired), "paired")
    assert StatsWarning.ROWS_WITHOUT_UNIT not in whole.warnings
    unnamed = [{"phase": "after", "unit": None, "value": 99.0}, {"phase": "before", "value": 1.0}]
    result = estimate_improvement(pd.DataFrame(paired + unnamed), "paired")
    assert result.method == "paired" and result.effect == whole.effect
    assert StatsWarning.ROWS_WITHOUT_UNIT in result.warnings
    assert result.details["n_rows_without_unit"] == 2 and whole.details["n_rows_without_unit"] == 0
