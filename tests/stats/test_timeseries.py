"""Interrupted time series against R: ``lm`` + ``sandwich::NeweyWest`` (and Stata's newey
formula) for ``cov="newey"``; ``nlme::gls(correlation = corAR1(), method = "REML")`` with
Satterthwaite df for the default ``cov="reml"``."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from gains.stats.assemble import CoreEstimate, StatsInputError, finish_estimate
from gains.stats.design import estimate_improvement
from gains.stats.frames import clean_measurements
from gains.stats.gls_ar1 import PHI_LIMIT, fit_gls_ar1
from gains.stats.inference import t_inference
from gains.stats.timeseries import (
    REML_COV_TYPE,
    SeriesFacts,
    its_estimates,
    newey_west_maxlags,
    week_numbers,
    weekly_means,
)
from gains.stats.warning_codes import StatsWarning
from tests.support.documents import assert_same_document

REL = 1e-9
R_REML = 1e-6  # nlme's own optimiser stops about 1e-8 from the maximum


def test_its_matches_r_newey_west(reference, reference_data):
    expected = reference("its")
    # The R script also checks sandwich's NeweyWest(adjust=TRUE) against the hand-written
    # Stata newey formula (Bartlett 1 - l/(L+1), factor T/(T-k)); they agree to rounding.
    assert expected["max_abs_diff_sandwich_vs_stata_formula"] < 1e-12
    result = estimate_improvement(reference_data("its"), "time_series", cov="newey")
    assert result.method == "its"
    assert result.cov_type == "HAC(Newey-West, maxlags=3)"
    assert result.details["maxlags"] == expected["maxlags"] == 3
    assert (result.n_before, result.n_after) == (expected["n_before"], expected["n_after"])
    for name in ("effect", "se", "df", "p_value", "ci_low", "ci_high", "counterfactual_mean"):
        assert getattr(result, name) == pytest.approx(expected[name], rel=REL), name
    assert result.relative_change == pytest.approx(expected["relative_change"], rel=REL)
    assert result.relative_se == pytest.approx(expected["relative_se"], rel=REL)
    for term in ("level_change", "slope_change"):
        actual, wanted = getattr(result, term), expected[term]
        for name in ("estimate", "se", "ci_low", "ci_high", "p_value"):
            assert getattr(actual, name) == pytest.approx(wanted[name], rel=REL), (term, name)
    assert result.hedges_g is None


@pytest.mark.parametrize(("n_points", "lags"), [(10, 2), (36, 3), (100, 4), (300, 5)])
def test_maxlags_rule(n_points, lags):
    assert newey_west_maxlags(n_points) == lags == int(np.floor(4 * (n_points / 100) ** (2 / 9)))


def test_weekly_means_start_on_monday_and_split_a_mid_week_go_live():
    frame = clean_measurements(
        pd.DataFrame(
            {
                "date": ["2025-03-03", "2025-03-05", "2025-03-06", "2025-03-07", "2025-03-10"],
                "phase": ["before", "before", "after", "after", "after"],
                "value": [1.0, 3.0, 10.0, 20.0, 7.0],
            }
        )
    )
    weekly = weekly_means(frame)
    assert weekly["value"].tolist() == [2.0, 15.0, 7.0]
    assert weekly["t"].tolist() == [0.0, 0.0, 1.0]
    assert weekly["t_since_golive"].tolist() == [0.0, 0.0, 1.0]


@pytest.mark.parametrize("cov", ["reml", "newey"])
@pytest.mark.parametrize("factor", [0.01, 7.0, -3.0])
def test_scaling_values_scales_its_effect_and_keeps_p(reference_data, factor, cov):
    frame = reference_data("its")
    original = estimate_improvement(frame, "its", cov=cov)
    scaled = estimate_improvement(frame.assign(value=frame["value"] * factor), "its", cov=cov)
    assert scaled.effect == pytest.approx(factor * original.effect, rel=1e-9)
    assert scaled.slope_change.se == pytest.approx(abs(factor) * original.slope_change.se, rel=1e-9)
    assert scaled.p_value == pytest.approx(original.p_value, rel=1e-9)
    assert scaled.df == pytest.approx(original.df, rel=1e-9)


@pytest.mark.parametrize(
    ("dataset", "seasonal"), [("its", False), ("its_ar1", False), ("its_seasonal", True)]
)
def test_its_reml_matches_nlme_gls_and_satterthwaite_df(
    reference, reference_data, dataset, seasonal
):
    expected = reference("its_reml")[dataset]
    result = estimate_improvement(reference_data(dataset), "time_series", seasonal=seasonal)
    assert result.details["seasonal"] is seasonal
    assert result.cov_type == REML_COV_TYPE
    assert (result.n_before, result.n_after) == (expected["n_before"], expected["n_after"])
    assert result.details["autocorrelation"] == pytest.approx(expected["phi"], abs=R_REML)
    assert result.details["residual_sd"] == pytest.approx(expected["sigma"], rel=R_REML)
    assert result.details["pre_slope_per_week"] == pytest.approx(expected["params"][1], rel=R_REML)
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
    ):
        assert getattr(result, name) == pytest.approx(expected[name], rel=R_REML), name
    # emmeans takes the information from nlme's numerical Hessian (apVar): close, not exact.
    assert result.df == pytest.approx(expected["df_emmeans"], rel=2e-3)
    for term in ("level_change", "slope_change"):
        actual, wanted = getattr(result, term), expected[term]
        for name in ("estimate", "se", "ci_low", "ci_high", "p_value"):
            assert getattr(actual, name) == pytest.approx(wanted[name], rel=R_REML), (term, name)


def test_the_gap_week_is_skipped_and_the_ar1_runs_over_observed_points(reference_data):
    weekly = weekly_means(clean_measurements(reference_data("its_ar1")))
    assert 6.0 not in weekly["t"].tolist() and len(weekly) == 25


def _series(rng, n_before, n_after, rho=0.5, missing=(), split=False):
    """Daily-dated rows of an AR(1) weekly series (three rows a week)."""
    noise = np.zeros(n_before + n_after)
    for i in range(1, len(noise)):
        noise[i] = rho * noise[i - 1] + rng.normal()
    rows = []
    for week in range(n_before + n_after):
        if week in missing:
            continue
        for day in range(3):
            after = week >= n_before if not split else week > n_before or (week == n_before and day)
            rows.append(
                {
                    "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * week + day),
                    "phase": "after" if after else "before",
                    "value": 10.0
                    + 0.1 * week
                    + 2.0 * (week >= n_before)
                    + noise[week]
                    + rng.normal(0, 0.3),
                }
            )
    return pd.DataFrame(rows)


def _weekly_table(frames):
    parts = []
    for position, frame in enumerate(frames):
        clean = clean_measurements(frame)
        parts.append(
            clean.assign(week=week_numbers(clean["date"]), after=(clean["phase"] == "after") * 1)
            .groupby(["week", "after"], as_index=False)["value"]
            .mean()
            .assign(series=position)
        )
    return pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=3)


@pytest.mark.parametrize("cov", ["reml", "newey"])
def test_many_series_at_once_equal_each_series_alone(cov):
    """The batch (recompute-all) and the one-improvement path are one function: fitting
    series of different lengths, with gaps and a split week, together changes nothing."""
    rng = np.random.default_rng(19)
    frames = [
        _series(rng, 8, 8),
        _series(rng, 12, 9, rho=0.0, missing=(3,)),
        _series(rng, 26, 26, rho=0.8, split=True),
        _series(rng, 5, 12),  # too few before: no estimate, the others unaffected
        _series(rng, 10, 14, rho=-0.3),
    ]
    facts = [SeriesFacts("lower" if i % 2 else "higher", 1.0, 99, 0) for i in range(len(frames))]
    together = its_estimates(_weekly_table(frames), facts, cov=cov)
    for i, frame in enumerate(frames):
        if i == 3:
            assert isinstance(together[i], StatsInputError)
            continue
        alone = estimate_improvement(frame, "its", facts[i].direction, cov=cov, planned_effect=1.0)
        alone.details["n_observations"] = 99  # the batch was told so
        # The evidence level is the design's decision (`stats.design`), not the fit's.
        assert alone.evidence_level == 3
        alone = replace(alone, evidence_level=None)
        assert_same_document(together[i].to_dict(), alone.to_dict(), f"series {i}")


def test_fewer_than_eight_weekly_points_a_side_is_no_estimate(reference_data):
    """DESIGN: fewer than 8 weekly points a side is not evidence. This used to be an ITS with
    a warning (3-7 points) or a before/after comparison of the rows (fewer)."""
    frame = reference_data("its")
    dates = frame["date"].astype("datetime64[ns]")
    short = frame[(dates >= "2025-04-14") & (dates < "2025-06-30")]
    with pytest.raises(
        StatsInputError, match=r"8 weekly points on each side.*6 before and 5 after"
    ):
        estimate_improvement(short, "its")
    tiny = frame[(dates >= "2025-05-12") & (dates < "2025-06-09")]
    with pytest.raises(StatsInputError, match="8 weekly points"):
        estimate_improvement(tiny, "its")
    assert estimate_improvement(short, "auto").method != "its"


def test_a_blank_date_is_left_out_with_a_warning_not_a_switch_to_welch(reference_data):
    """Issue 19: one blank date turned a declared time series into Welch without saying why."""
    frame = reference_data("its").astype({"date": object})
    frame.loc[5, "date"] = ""
    result = estimate_improvement(frame, "its")
    assert result.method == "its"
    assert StatsWarning.ROWS_WITHOUT_DATE in result.warnings
    assert result.details["n_rows_without_date"] == 1
    assert result.details["n_observations"] == len(frame) - 1
    undated = frame.assign(date="")
    with pytest.raises(StatsInputError, match="0 before and 0 after; 111 rows have no date"):
        estimate_improvement(undated, "its")


def test_a_drifting_series_holds_phi_at_the_limit_with_a_warning():
    rng = np.random.default_rng(7)
    frame = _series(rng, 10, 10, rho=0.0)
    weeks = np.arange(len(frame)) // 3
    walk = np.cumsum(rng.normal(0, 5.0, weeks.max() + 1))
    frame["value"] = walk[weeks] + rng.normal(0, 0.01, len(frame))
    result = estimate_improvement(frame, "its")
    assert result.details["autocorrelation"] == PHI_LIMIT
    assert StatsWarning.AUTOCORRELATION_AT_LIMIT in result.warnings
    assert result.df == result.n_before + result.n_after - 4  # φ fixed: only σ² estimated


def test_a_series_the_model_fits_exactly_has_zero_variance_not_an_error():
    rng = np.random.default_rng(5)
    frame = _series(rng, 9, 9).assign(value=4.0)
    result = estimate_improvement(frame, "its")
    assert result.effect == pytest.approx(0.0, abs=1e-9)
    assert StatsWarning.ZERO_VARIANCE in result.warnings


def test_seasonal_terms_need_a_year_before_go_live(reference_data):
    with pytest.raises(StatsInputError, match=r"seasonal terms need 52 weeks .* has 20"):
        estimate_improvement(reference_data("its"), "its", seasonal=True)
    frame = reference_data("its_seasonal")
    plain = estimate_improvement(frame, "its")
    seasonal = estimate_improvement(frame, "its", seasonal=True)
    # The yearly cycle (amplitude about 4.5) is noise to the plain model, signal to this one.
    assert seasonal.details["residual_sd"] < 0.5 * plain.details["residual_sd"]
    newey = estimate_improvement(frame, "its", cov="newey", seasonal=True)
    assert newey.df == len(frame) - 6


def test_cov_is_resolved_per_design(reference_data):
    assert estimate_improvement(reference_data("its"), "its").cov_type == REML_COV_TYPE
    assert estimate_improvement(reference_data("did"), "did").cov_type == "HC3"
    assert estimate_improvement(reference_data("did"), "did", cov="reml").cov_type == "HC3"
    with pytest.raises(StatsInputError, match="cov must be one of"):
        estimate_improvement(reference_data("its"), "its", cov="HC5")


@pytest.mark.parametrize("planned", [None, 0.5, 50.0])
@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_the_array_finish_equals_the_one_every_design_uses(reference_data, planned, direction):
    """Time series are finished for all series at once (`sufficient`'s array form); the
    numbers, warnings and None-for-missing are those of `assemble.finish_estimate`."""
    frame = clean_measurements(reference_data("its_ar1"))
    result = estimate_improvement(frame, "its", direction, planned_effect=planned)
    weekly = weekly_means(frame)
    design = np.column_stack(
        [np.ones(len(weekly)), weekly[["t", "after", "t_since_golive"]].to_numpy(float)]
    )
    fit = fit_gls_ar1(design, weekly["value"].to_numpy(), np.array([0]))
    params, covariance = fit.params[0], fit.covariance[0]
    post = weekly[weekly["after"] == 1]
    effect = np.array([0.0, 0.0, 1.0, post["t_since_golive"].mean()])
    counterfactual = np.array([1.0, post["t"].mean(), 0.0, 0.0])
    core = CoreEstimate(
        method="its",
        effect=float(effect @ params),
        se=float(np.sqrt(effect @ covariance @ effect)),
        df=float(fit.satterthwaite_df(effect[None, None, :])[0, 0]),
        counterfactual_mean=float(counterfactual @ params),
        var_counterfactual=float(counterfactual @ covariance @ counterfactual),
        cov_effect_counterfactual=float(effect @ covariance @ counterfactual),
        hedges_g_raw=None,
        hedges_g_variance=None,
        counts=result.counts,
        cov_type=REML_COV_TYPE,
        warnings=(StatsWarning.NO_CONTROL_GROUP,),
        level_change=result.level_change,
        slope_change=result.slope_change,
        details=result.details,
    )
    expected = finish_estimate(core, direction, 0.95, planned)
    # The evidence level is the design's decision (`stats.design`), not the finish's.
    assert result.evidence_level == 3
    assert_same_document(replace(result, evidence_level=None).to_dict(), expected.to_dict())
    slope_df = fit.satterthwaite_df(np.eye(4)[None, 3:4])[0, 0]
    scalar = t_inference(params[3], np.sqrt(covariance[3, 3]), slope_df)
    assert result.slope_change.ci_low == pytest.approx(float(scalar.ci_low), rel=1e-12)
    assert result.slope_change.p_value == pytest.approx(float(scalar.p_value), rel=1e-12)


def test_controlled_its_matches_nlme_gls_on_the_weekly_differences(reference, reference_data):
    """Issue 19 item 3: with a control series the model is fitted to treated - control over
    the weeks both groups have (Lopez Bernal et al. 2018); evidence level 4."""
    expected = reference("its_control")
    result = estimate_improvement(reference_data("its_control"), "its")
    assert (result.n_before, result.n_after) == (expected["n_before"], expected["n_after"])
    assert result.details["control_series"] is True
    assert result.details["n_control_weeks"] == 35  # 36 weeks, one without control rows
    assert result.evidence_level == 4
    assert StatsWarning.NO_CONTROL_GROUP.value not in result.warnings
    assert result.details["autocorrelation"] == pytest.approx(expected["phi"], abs=R_REML)
    assert result.details["residual_sd"] == pytest.approx(expected["sigma"], rel=R_REML)
    assert result.details["pre_slope_per_week"] == pytest.approx(expected["params"][1], rel=R_REML)
    for name in ("effect", "se", "counterfactual_mean", "relative_change", "relative_se"):
        assert getattr(result, name) == pytest.approx(expected[name], rel=R_REML), name
    assert result.df == pytest.approx(expected["df_emmeans"], rel=2e-3)
    for term in ("level_change", "slope_change"):
        actual, wanted = getattr(result, term), expected[term]
        assert actual.estimate == pytest.approx(wanted["estimate"], rel=R_REML), term
        assert actual.se == pytest.approx(wanted["se"], rel=R_REML), term


def test_a_shock_to_both_groups_after_go_live_is_removed_by_the_control_series():
    """Both groups jump by 6 from the fifth week after go-live; the treated also drop by 3 at
    go-live. Alone the treated series takes the shock for part of the effect; against the
    control it is gone and the -3 is found."""
    rng = np.random.default_rng(4)
    weeks = np.arange(30)
    shared = 40.0 + 0.2 * weeks + 6.0 * (weeks >= 19) + rng.normal(0, 1.0, len(weeks))
    rows = [
        {
            "date": pd.Timestamp("2025-01-06") + pd.Timedelta(days=7 * int(week) + day),
            "phase": "after" if week >= 15 else "before",
            "group": group,
            "value": shared[week]
            - 3.0 * (group == "treatment" and week >= 15)
            + rng.normal(0, 0.3),
        }
        for week in weeks
        for day in range(3)
        for group in ("treatment", "control")
    ]
    frame = pd.DataFrame(rows)
    alone = estimate_improvement(frame[frame["group"] == "treatment"], "its")
    controlled = estimate_improvement(frame, "its")
    assert alone.evidence_level == 3 and controlled.evidence_level == 4
    # The shock lifts 11 of the 15 post-period weeks by 6: alone, the effect is about 6·11/15
    # too high (what the segmented trend does not absorb).
    assert alone.effect > -3.0 + 3.0
    assert controlled.ci_low <= -3.0 <= controlled.ci_high
    assert controlled.effect == pytest.approx(-3.0, abs=0.3)


def test_a_controlled_series_needs_eight_paired_weeks_a_side(reference_data):
    frame = reference_data("its_control")
    weeks = pd.to_datetime(frame["date"]).dt.to_period("W").astype(str)
    # The control has no rows after go-live but its first 3 weeks: 3 paired weeks after.
    post_weeks = sorted(weeks[frame["phase"] == "after"].unique())
    thinned = frame[(frame["group"] == "treatment") | ~weeks.isin(post_weeks[3:])]
    with pytest.raises(StatsInputError, match="3 after in weeks where both groups have one"):
        estimate_improvement(thinned, "its")
