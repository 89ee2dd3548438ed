"""Difference-in-differences against R lm + sandwich::vcovHC / vcovCL."""

import pandas as pd
import pytest

from gains.stats.design import estimate_improvement
from gains.stats.did import difference_in_differences
from gains.stats.frames import clean_measurements
from gains.stats.warning_codes import StatsWarning

REL = 1e-9
FIELDS = ("effect", "se", "df", "statistic", "p_value", "ci_low", "ci_high", "counterfactual_mean")


def assert_matches_r(result, expected):
    for name in FIELDS:
        assert getattr(result, name) == pytest.approx(expected[name], rel=REL), name
    assert result.relative_change == pytest.approx(expected["relative_change"], rel=REL)
    assert result.relative_se == pytest.approx(expected["relative_se"], rel=REL)
    assert result.hedges_g == pytest.approx(expected["hedges_g"], rel=REL)
    assert result.hedges_g_variance == pytest.approx(expected["hedges_g_variance"], rel=REL)


@pytest.mark.parametrize(
    ("key", "cov", "alpha"),
    [
        ("hc3", "HC3", 0.05),
        ("hc1", "HC1", 0.05),
        ("nonrobust", "nonrobust", 0.05),
        ("hc3_90", "HC3", 0.10),
    ],
)
def test_did_matches_r_sandwich(reference, reference_data, key, cov, alpha):
    result = estimate_improvement(reference_data("did"), "control_group", cov=cov, alpha=alpha)
    assert result.method == "did"
    assert result.cov_type == cov
    assert_matches_r(result, reference("did")[key])
    counts = result.counts
    cells = (counts.n_treatment_before, counts.n_treatment_after, counts.n_control_before)
    assert (*cells, counts.n_control_after) == (9, 12, 10, 8)


def test_did_clusters_by_unit_with_30_or_more_units(reference, reference_data):
    result = estimate_improvement(reference_data("did_cluster"), "did")
    assert result.cov_type == "cluster"
    assert result.df == 39  # G - 1, as Stata's vce(cluster)
    assert_matches_r(result, reference("did")["cluster"])


def test_did_with_few_repeated_units_analyses_unit_means(reference, reference_data):
    result = estimate_improvement(reference_data("did_unit_means"), "did", cov="cluster")
    assert result.cov_type == "HC3"
    assert StatsWarning.ANALYSED_UNIT_MEANS in result.warnings
    assert_matches_r(result, reference("did")["unit_means_hc3"])


def test_did_direction_lower_flips_gain(reference_data):
    frame = clean_measurements(reference_data("did"))
    higher = difference_in_differences(frame, "higher")
    lower = difference_in_differences(frame, "lower")
    assert lower.gain == -higher.gain and lower.hedges_g == -higher.hedges_g


def test_control_rows_missing_a_phase_downgrade_with_warning(reference_data):
    frame = reference_data("did")
    frame = frame[~((frame["group"] == "control") & (frame["phase"] == "after"))]
    result = estimate_improvement(frame, "control_group")
    assert result.method == "welch"
    assert StatsWarning.DESIGN_DOWNGRADED in result.warnings
    assert result.n_before == 9 and result.n_after == 12


def test_unknown_cov_is_refused(reference_data):
    with pytest.raises(ValueError, match="cov must be one of"):
        estimate_improvement(reference_data("did"), "did", cov="HC9")


def test_constant_cells_give_zero_variance_not_rounding_noise():
    rows = [
        {"group": group, "phase": phase, "value": 5.0}
        for group in ("treatment", "control")
        for phase in ("before", "after")
        for _ in range(3)
    ]
    result = estimate_improvement(pd.DataFrame(rows), "did")
    assert result.se == 0.0 and result.p_value is None
    assert StatsWarning.ZERO_VARIANCE in result.warnings
