"""Interrupted time series against R lm + sandwich::NeweyWest (and Stata's newey formula)."""

import numpy as np
import pandas as pd
import pytest

from gains.stats.design import estimate_improvement
from gains.stats.frames import clean_measurements
from gains.stats.timeseries import newey_west_maxlags, weekly_means
from gains.stats.warning_codes import StatsWarning

REL = 1e-9


def test_its_matches_r_newey_west(reference, reference_data):
    expected = reference("its")
    # The R script also checks sandwich's NeweyWest(adjust=TRUE) against the hand-written
    # Stata newey formula (Bartlett 1 - l/(L+1), factor T/(T-k)); they agree to rounding.
    assert expected["max_abs_diff_sandwich_vs_stata_formula"] < 1e-12
    result = estimate_improvement(reference_data("its"), "time_series")
    assert result.method == "its"
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


def test_short_series_downgrades_or_warns(reference_data):
    frame = reference_data("its")
    dates = frame["date"].astype("datetime64[ns]")
    short = frame[(dates >= "2025-04-14") & (dates < "2025-06-30")]
    result = estimate_improvement(short, "its")
    assert result.method == "its"
    assert StatsWarning.TOO_FEW_TIME_POINTS in result.warnings
    tiny = frame[(dates >= "2025-05-12") & (dates < "2025-06-09")]
    assert estimate_improvement(tiny, "its").method == "welch"
    assert StatsWarning.DESIGN_DOWNGRADED in estimate_improvement(tiny, "its").warnings


@pytest.mark.parametrize("factor", [0.01, 7.0, -3.0])
def test_scaling_values_scales_its_effect_and_keeps_p(reference_data, factor):
    frame = reference_data("its")
    original = estimate_improvement(frame, "its")
    scaled = estimate_improvement(frame.assign(value=frame["value"] * factor), "its")
    assert scaled.effect == pytest.approx(factor * original.effect, rel=1e-9)
    assert scaled.slope_change.se == pytest.approx(abs(factor) * original.slope_change.se, rel=1e-9)
    assert scaled.p_value == pytest.approx(original.p_value, rel=1e-9)
