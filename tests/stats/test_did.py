"""Control-group designs against R: lm + sandwich::vcovHC on rows, clubSandwich CR2 with
Satterthwaite df for repeated units (change scores, ANCOVA, clustered rows)."""

import pandas as pd
import pytest

from gains.stats.assemble import StatsInputError
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


# --- Repeated units: change scores, ANCOVA and clustered rows, CR2 with Satterthwaite df ---

CR2_CASES = {
    # key in outputs/did_cr2.json: (data set, options)
    "change_few": ("did_unit_means", {}),
    "change_few_90": ("did_unit_means", {"alpha": 0.10}),
    "change_many": ("did_cluster", {}),
    "change_unpaired": ("did_unit_means_unpaired", {}),
    "ancova_few": ("did_unit_means", {"randomised": True}),
    "ancova_many": ("did_cluster", {"randomised": True}),
    "rows_few": ("did_unit_means", {"cov": "cluster"}),
    "rows_many": ("did_cluster", {"cov": "cluster"}),
}
ANALYSIS = {"change": "change_scores", "ancova": "ancova", "rows": "clustered_rows"}


def unit_data(reference_data, name):
    """The reference data sets; ``_unpaired``: control unit M12 measured before only and
    treated unit M01 after only, as `did_cr2.R` builds it."""
    if name != "did_unit_means_unpaired":
        return reference_data(name)
    frame = reference_data("did_unit_means")
    after_only = (frame["unit"] == "M01") & (frame["phase"] == "before")
    before_only = (frame["unit"] == "M12") & (frame["phase"] == "after")
    return frame[~after_only & ~before_only]


@pytest.mark.parametrize("key", CR2_CASES)
def test_repeated_units_match_r_clubsandwich_cr2_satterthwaite(reference, reference_data, key):
    dataset, options = CR2_CASES[key]
    expected = reference("did_cr2")[key]
    result = estimate_improvement(unit_data(reference_data, dataset), "did", **options)
    assert_matches_r(result, expected)
    assert result.cov_type == "CR2"
    assert result.details["analysis"] == ANALYSIS[key.split("_")[0]]
    assert result.method == ("treatment_vs_control" if key.startswith("ancova") else "did")
    if "n_units" in expected:
        assert result.details["n_clusters"] == result.counts.n_units == expected["n_units"]
    if key.startswith("ancova"):
        for name in ("variance_reduction", "variance_reduction_vs_change_scores"):
            assert result.details[name] == pytest.approx(expected[name], rel=REL)
        assert result.details["se_unadjusted"] ** 2 == pytest.approx(expected["var_unadjusted"])


def test_units_seen_in_one_phase_are_dropped_with_a_warning(reference_data):
    frame = unit_data(reference_data, "did_unit_means_unpaired")
    result = estimate_improvement(frame, "did")
    assert StatsWarning.DROPPED_UNPAIRED_UNITS in result.warnings
    assert result.details["n_units_dropped"] == 2
    assert result.details["rows_analysed"] == len(frame) - 4  # the two units' other rows


def test_no_cliff_at_30_units(reference_data):
    """The old rule analysed unit means below 30 units and clustered (CR1) from 30: one unit
    more or less tripled the SE. Now 29 and 30 units get the same analysis."""
    frame = reference_data("did_cluster")
    thirty = frame[frame["unit"].str[1:].astype(int).isin([*range(1, 16), *range(21, 36)])]
    twenty_nine = thirty[thirty["unit"] != "C35"]
    with_30 = estimate_improvement(thirty, "did")
    with_29 = estimate_improvement(twenty_nine, "did")
    assert with_30.details["analysis"] == with_29.details["analysis"] == "change_scores"
    assert 0.8 < with_29.se / with_30.se < 1.25
    assert with_29.df < with_30.df


def test_a_row_without_a_unit_is_left_out_with_a_warning_not_a_switch(reference_data):
    """Issue 19: one row without a unit used to switch clustering off (HC3 on all rows,
    silently). It is now left out of the unit analysis, with a warning and its count."""
    frame = reference_data("did_cluster")
    blanked = frame.assign(unit=frame["unit"].mask(frame.index == 5))
    result = estimate_improvement(blanked, "did")
    without_row = estimate_improvement(frame.drop(index=5), "did")
    assert StatsWarning.ROWS_WITHOUT_UNIT in result.warnings
    assert result.details["n_rows_without_unit"] == 1
    assert result.cov_type == "CR2" and result.details["n_clusters"] == 40
    assert (result.effect, result.se, result.df) == pytest.approx(
        (without_row.effect, without_row.se, without_row.df), rel=1e-12
    )
    clustered = estimate_improvement(blanked, "did", cov="cluster")
    assert StatsWarning.ROWS_WITHOUT_UNIT in clustered.warnings
    assert clustered.details["rows_analysed"] == len(frame) - 1


def test_too_few_units_is_an_error_that_counts_them(reference_data):
    frame = reference_data("did_unit_means")
    one_control = frame[~frame["unit"].isin(["M08", "M09", "M10", "M11", "M12"])]
    with pytest.raises(StatsInputError, match="found 6 treated and 1 control"):
        estimate_improvement(one_control, "did")


def test_unit_labels_are_per_group(reference_data):
    """Units numbered 1, 2, ... in each group are different units."""
    frame = reference_data("did_unit_means")
    relabelled = frame.assign(unit=frame["unit"].str[1:].astype(int).map(lambda u: (u - 1) % 6))
    original = estimate_improvement(frame, "did")
    result = estimate_improvement(relabelled, "did")
    assert result.details["n_clusters"] == 12
    assert (result.effect, result.se, result.df) == pytest.approx(
        (original.effect, original.se, original.df), rel=1e-12
    )


def test_units_that_never_span_both_phases_are_clustered(reference_data):
    frame = reference_data("did_unit_means")
    separate = frame.assign(unit=frame["unit"] + frame["phase"])  # new units after go-live
    result = estimate_improvement(separate, "did")
    assert result.details["analysis"] == "clustered_rows"
    assert result.cov_type == "CR2" and result.details["n_clusters"] == 24


def test_ancova_without_variation_in_before_means_is_the_plain_comparison(reference_data):
    frame = reference_data("did_unit_means")
    flat = frame.assign(value=frame["value"].where(frame["phase"] == "after", 10.0))
    result = estimate_improvement(flat, "did", randomised=True)
    means = flat[flat["phase"] == "after"].groupby(["group", "unit"])["value"].mean()
    assert result.effect == pytest.approx(
        means["treatment"].mean() - means["control"].mean(), rel=1e-12
    )
    assert result.details["variance_reduction"] == pytest.approx(0.0, abs=1e-12)


def test_randomised_without_before_rows_stays_welch(reference, reference_data):
    result = estimate_improvement(reference_data("rct"), "control_group", randomised=True)
    assert result.method == "treatment_vs_control" and result.cov_type is None
    assert result.se == pytest.approx(reference("two_group")["rct_95"]["se"], rel=REL)


def test_cluster_without_units_is_hc3(reference, reference_data):
    result = estimate_improvement(reference_data("did"), "did", cov="cluster")
    assert result.cov_type == "HC3"
    assert_matches_r(result, reference("did")["hc3"])


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


def test_change_scores_cr2_is_welch_se_with_design_based_df(reference_data):
    """One row per unit: CR2 is HC2, SE² = s²_T/n_T + s²_C/n_C, and the Satterthwaite df
    depend on the group sizes only (STATISTICS.md §3.4)."""
    frame = reference_data("did_cluster")
    frame = frame[~frame["unit"].isin(["C01", "C02", "C03", "C04", "C05", "C06", "C07"])]
    result = estimate_improvement(frame, "did")
    means = frame.groupby(["group", "unit", "phase"])["value"].mean().unstack()
    change = means["after"] - means["before"]
    treated, control = change["treatment"], change["control"]
    n_t, n_c = len(treated), len(control)
    assert (n_t, n_c) == (13, 20)
    assert result.se**2 == pytest.approx(treated.var() / n_t + control.var() / n_c, rel=1e-12)
    df = (1 / n_t + 1 / n_c) ** 2 / (1 / (n_t**2 * (n_t - 1)) + 1 / (n_c**2 * (n_c - 1)))
    assert result.df == pytest.approx(df, rel=1e-12)
