"""Interrupted time series: weekly means, segmented regression, Newey-West standard errors.

Model (Wagner et al. 2002, J. Clin. Pharm. Ther. 27:299-309):

    weekly_mean = b0 + b1·t + b2·after + b3·t_since_golive + error

with t in weeks since the first observed week and ``t_since_golive`` = t - t0 after go-live
(0 before), t0 the first post-go-live week. Standard errors are Newey & West (1987) exactly as
Stata's ``newey`` computes them: Bartlett weights 1 - l/(L + 1), no prewhitening, the
small-sample factor T/(T - k) with k = 4, ``L = floor(4·(T/100)^(2/9))`` and t with T - 4 df
(R: ``sandwich::NeweyWest(fit, lag=L, prewhite=FALSE, adjust=TRUE)``). Weeks without data are
skipped and lags count observed weeks, as ``newey, force`` does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gains.stats.assemble import CoreEstimate, StatsInputError, finish_estimate
from gains.stats.inference import DEFAULT_LEVEL, t_inference
from gains.stats.results import Coefficient, EstimateResult, GroupCounts
from gains.stats.warning_codes import StatsWarning

MIN_POINTS_PER_SIDE = 3  # fewest weekly points a side that still leaves the model estimable
RECOMMENDED_POINTS_PER_SIDE = 8  # Wagner et al. (2002); fewer gives a warning
N_PARAMETERS = 4


def newey_west_maxlags(n_points: int) -> int:
    """Stata/Newey-West (1994) rule of thumb: floor(4·(T/100)^(2/9))."""
    return math.floor(4.0 * (n_points / 100.0) ** (2.0 / 9.0))


def weekly_means(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (week, phase): ``week_start`` (Monday), ``phase``, ``value`` mean, ``n``.

    A go-live in mid-week splits that week into a before point and an after point.
    """
    if "date" not in frame.columns or frame["date"].isna().any():
        raise StatsInputError("a time series needs a date on every row")
    week_start = frame["date"].dt.normalize() - pd.to_timedelta(
        frame["date"].dt.day_of_week, unit="D"
    )
    weekly = (
        frame.assign(week_start=week_start, after=(frame["phase"] == "after").astype(int))
        .groupby(["week_start", "after"], as_index=False)["value"]
        .agg(value="mean", n="size")
        .sort_values(["week_start", "after"], ignore_index=True)
    )
    weekly["t"] = (weekly["week_start"] - weekly["week_start"].iloc[0]).dt.days / 7.0
    first_after = weekly.loc[weekly["after"] == 1, "t"].min()
    weekly["t_since_golive"] = np.where(weekly["after"] == 1, weekly["t"] - first_after, 0.0)
    return weekly


def points_per_side(frame: pd.DataFrame) -> tuple[int, int]:
    """Weekly points before and after go-live (0, 0 without usable dates)."""
    if "date" not in frame.columns or frame["date"].isna().any():
        return 0, 0
    weekly = weekly_means(frame)
    n_after = int(weekly["after"].sum())
    return len(weekly) - n_after, n_after


def interrupted_time_series(
    frame: pd.DataFrame,
    direction: str = "higher",
    level: float = DEFAULT_LEVEL,
    planned_effect: float | None = None,
) -> EstimateResult:
    """Segmented regression of weekly means with the post-period mean contrast as the effect.

    Effect = mean over the observed post-period weeks of (fitted - counterfactual)
    = b2 + b3·mean(t_since_golive), a linear contrast with its HAC standard error; the
    counterfactual mean is b0 + b1·mean(t) over the same weeks (the projected pre-trend).
    Nothing is extrapolated beyond the observed weeks.
    """
    weekly = weekly_means(frame)
    n_after = int(weekly["after"].sum())
    n_before = len(weekly) - n_after
    if min(n_before, n_after) < MIN_POINTS_PER_SIDE:
        raise StatsInputError(
            f"a time series needs at least {MIN_POINTS_PER_SIDE} weekly points on each side"
        )
    params, covariance, maxlags = fit_segmented_regression(weekly)
    df = float(len(weekly) - N_PARAMETERS)
    post = weekly[weekly["after"] == 1]
    effect_contrast = np.array([0.0, 0.0, 1.0, post["t_since_golive"].mean()])
    counterfactual_contrast = np.array([1.0, post["t"].mean(), 0.0, 0.0])
    warnings = [StatsWarning.NO_CONTROL_GROUP]
    if min(n_before, n_after) < RECOMMENDED_POINTS_PER_SIDE:
        warnings.append(StatsWarning.TOO_FEW_TIME_POINTS)
    core = CoreEstimate(
        method="its",
        effect=float(effect_contrast @ params),
        se=float(np.sqrt(effect_contrast @ covariance @ effect_contrast)),
        df=df,
        counterfactual_mean=float(counterfactual_contrast @ params),
        var_counterfactual=float(counterfactual_contrast @ covariance @ counterfactual_contrast),
        cov_effect_counterfactual=float(effect_contrast @ covariance @ counterfactual_contrast),
        hedges_g_raw=None,
        hedges_g_variance=None,
        counts=GroupCounts(n_before=n_before, n_after=n_after),
        cov_type=f"HAC(Newey-West, maxlags={maxlags})",
        warnings=tuple(warnings),
        level_change=_coefficient(params, covariance, 2, df, level),
        slope_change=_coefficient(params, covariance, 3, df, level),
        details={
            "maxlags": maxlags,
            "n_observations": len(frame),
            "pre_slope_per_week": float(params[1]),
        },
    )
    return finish_estimate(core, direction, level, planned_effect)


def fit_segmented_regression(weekly: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS coefficients (b0..b3), their Stata-``newey`` HAC covariance and the lag used."""
    # Imported when fitted, not when the app starts (see gains/stats/__init__.py).
    from statsmodels.regression.linear_model import OLS
    from statsmodels.stats.sandwich_covariance import cov_hac

    design = weekly[["t", "after", "t_since_golive"]].to_numpy(dtype=float)
    exog = np.column_stack([np.ones(len(weekly)), design])
    fit = OLS(weekly["value"].to_numpy(dtype=float), exog).fit()
    maxlags = newey_west_maxlags(len(weekly))
    # use_correction=True is the T/(T - k) factor; Bartlett weights are cov_hac's default.
    covariance = cov_hac(fit, nlags=maxlags, use_correction=True)
    return np.asarray(fit.params), np.asarray(covariance), maxlags


def _coefficient(params, covariance, index: int, df: float, level: float) -> Coefficient:
    estimate = float(params[index])
    se = float(np.sqrt(covariance[index, index]))
    inference = t_inference(estimate, se, df, level)
    statistic = float(inference.statistic)
    p_value = float(inference.p_value)
    return Coefficient(
        estimate=estimate,
        se=se,
        ci_low=float(inference.ci_low),
        ci_high=float(inference.ci_high),
        statistic=statistic if math.isfinite(statistic) else None,
        p_value=p_value if math.isfinite(p_value) else None,
    )
