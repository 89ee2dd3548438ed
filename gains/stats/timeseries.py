"""Interrupted time series: weekly means, segmented regression with autocorrelated errors.

Model (Wagner et al. 2002, J. Clin. Pharm. Ther. 27:299-309):

    weekly_mean = b0 + b1·t + b2·after + b3·t_since_golive + error

with t in weeks since the first observed week and ``t_since_golive`` = t - t0 after go-live
(0 before), t0 the first post-go-live week. Two ways to the standard errors (``cov``):

* ``"reml"`` (the default): AR(1) errors over the observed weekly points, fitted by REML, and
  Satterthwaite df for each contrast (`gls_ar1`; R ``nlme::gls(correlation = corAR1(),
  method = "REML")``), the method that kept its coverage best in Turner et al. 2021 (BMC Med
  Res Methodol 21:181);
* ``"newey"``: OLS with Newey & West (1987) errors exactly as Stata's ``newey``: Bartlett weights
  1 - l/(L + 1), no prewhitening, the factor T/(T - k) with k = 4,
  ``L = floor(4·(T/100)^(2/9))`` and t with T - 4 df (R ``sandwich::NeweyWest(fit, lag=L,
  prewhite=FALSE, adjust=TRUE)``).

Weeks without data are skipped: lags and the AR(1) count observed points (as ``newey, force``
and ``corAR1()`` over the rows in order). Fewer than `MIN_POINTS_PER_SIDE` weekly points on a
side is not evidence: no estimate. Rows without a date are left out, with a warning.

With dated control-group rows the series is controlled (a comparative ITS; Lopez Bernal,
Cummins & Gasparrini 2018, Int J Epidemiol 47:2082-2093): the same model is fitted to the
weekly difference treated - control over the weeks (and phases) where both groups have a
point, so the effect, level and slope changes are relative to the control series, and a shock
that hits both groups cancels. The counterfactual mean is then the treated series' mean over
the paired post-period weeks minus the effect (that mean taken as observed).

`its_estimates` estimates many series at once (recompute-all); `interrupted_time_series`, for
one improvement's rows, calls it with one series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from gains.stats.assemble import StatsInputError, direction_sign, none_if_nan
from gains.stats.gls_ar1 import fit_gls_ar1
from gains.stats.inference import DEFAULT_LEVEL, t_inference
from gains.stats.results import Coefficient, EstimateResult, GroupCounts
from gains.stats.sufficient import finish_arrays, result_numbers
from gains.stats.warning_codes import StatsWarning

# Fewest weekly points on each side for a time series to be evidence (DESIGN: "Fewer than 8
# weekly points a side: not evidence"; Wagner et al. 2002 recommend 8 at the least).
MIN_POINTS_PER_SIDE = 8
# `seasonal=True`: one Fourier pair of this period (weeks) joins the model, and the series
# needs a year of weeks before go-live to tell the season from a change.
SEASON_WEEKS = 52.0
ITS_COVARIANCES = ("reml", "newey")
REML_COV_TYPE = "AR(1) REML, Satterthwaite df"
# Monday 29 December 1969: week numbers count Monday-based weeks from there.
FIRST_MONDAY = pd.Timestamp("1969-12-29")
# The weekly points of many series: one row per series, week and side of go-live.
WEEKLY_COLUMNS = ("series", "week", "after", "value")


@dataclass(frozen=True)
class SeriesFacts:
    """What a series' estimate needs beside its weekly points."""

    direction: str = "higher"
    planned_effect: float | None = None
    n_observations: int = 0  # dated rows behind the weekly means
    n_without_date: int = 0  # rows left out for want of a date
    # A controlled series (its values are treated - control): the control's weekly points
    # paired, and the treated series' mean over the paired post-period weeks.
    n_control_weeks: int = 0
    treated_post_mean: float = math.nan


def newey_west_maxlags(n_points: int) -> int:
    """Stata/Newey-West (1994) rule of thumb: floor(4·(T/100)^(2/9))."""
    return math.floor(4.0 * (n_points / 100.0) ** (2.0 / 9.0))


def week_numbers(dates: pd.Series) -> np.ndarray:
    """Monday-based week number of each date (weeks start on Monday)."""
    return ((dates.dt.normalize() - FIRST_MONDAY).dt.days // 7).to_numpy()


def weekly_means(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (week, phase): ``week_start`` (Monday), ``phase``, ``value`` mean, ``n``.

    A go-live in mid-week splits that week into a before point and an after point.
    """
    if "date" not in frame.columns or frame["date"].isna().any():
        raise StatsInputError("a time series needs a date on every row")
    weekly = (
        frame.assign(
            week=week_numbers(frame["date"]), after=(frame["phase"] == "after").astype(int)
        )
        .groupby(["week", "after"], as_index=False)["value"]
        .agg(value="mean", n="size")
        .sort_values(["week", "after"], ignore_index=True)
    )
    weekly.insert(0, "week_start", FIRST_MONDAY + pd.to_timedelta(weekly["week"] * 7, unit="D"))
    t, t_since_golive = _time_columns(
        np.zeros(len(weekly), dtype=int), weekly["week"].to_numpy(), weekly["after"].to_numpy()
    )
    return weekly.assign(t=t, t_since_golive=t_since_golive)


def points_per_side(frame: pd.DataFrame) -> tuple[int, int]:
    """Weekly points before and after go-live from the dated rows (0, 0 without dates)."""
    if "date" not in frame.columns:
        return 0, 0
    weekly = weekly_means(frame[frame["date"].notna()])
    n_after = int(weekly["after"].sum())
    return len(weekly) - n_after, n_after


def interrupted_time_series(
    frame: pd.DataFrame,
    direction: str = "higher",
    level: float = DEFAULT_LEVEL,
    planned_effect: float | None = None,
    cov: str = "reml",
    seasonal: bool = False,
) -> EstimateResult:
    """Segmented regression of weekly means with the post-period mean contrast as the effect.

    Effect = mean over the observed post-period weeks of (fitted - counterfactual)
    = b2 + b3·mean(t_since_golive), a linear contrast with its standard error; the
    counterfactual mean is b0 + b1·mean(t) over the same weeks (the projected pre-trend).
    Nothing is extrapolated beyond the observed weeks. ``seasonal`` adds sin and cos of
    2πt/52 (one Fourier pair) to the model and to the counterfactual. Dated rows of a
    ``group`` "control" make it a controlled series (module docstring); otherwise only the
    treatment rows are analysed.
    """
    if "date" not in frame.columns:
        raise StatsInputError("a time series needs a 'date' column")
    group = frame["group"] if "group" in frame.columns else pd.Series("treatment", frame.index)
    dated_control = frame[(group == "control") & frame["date"].notna()]
    # Without dated control rows there is no control series: the treated rows alone count.
    analysed = frame[group.isin(("treatment", "control") if len(dated_control) else ("treatment",))]
    dated = analysed[analysed["date"].notna()]
    treated = weekly_means(dated[group[dated.index] == "treatment"])
    facts = SeriesFacts(direction, planned_effect, len(dated), len(analysed) - len(dated))
    if len(dated_control):
        control = weekly_means(dated_control)
        paired = treated.merge(control, on=["week", "after"], suffixes=("", "_control"))
        treated = paired.assign(value=paired["value"] - paired["value_control"])
        post = paired["after"] == 1
        facts = replace(
            facts,
            n_control_weeks=len(control),
            treated_post_mean=float(paired.loc[post, "value"].mean()) if post.any() else math.nan,
        )
    weekly = treated[["week", "after", "value"]].assign(series=0)
    (outcome,) = its_estimates(weekly, [facts], level, cov, seasonal)
    if isinstance(outcome, StatsInputError):
        raise outcome
    return outcome


def its_estimates(
    weekly: pd.DataFrame,
    facts: Sequence[SeriesFacts],
    level: float = DEFAULT_LEVEL,
    cov: str = "reml",
    seasonal: bool = False,
) -> list[EstimateResult | StatsInputError]:
    """The estimate of every series, or why it has none, in the order of ``facts``.

    ``weekly`` has `WEEKLY_COLUMNS`: ``series`` (0 .. len(facts) - 1), ``week`` (Monday-based
    week number), ``after`` (0/1) and the weekly mean ``value``. With ``cov="reml"`` all the
    series are fitted together (`gls_ar1.fit_gls_ar1`).
    """
    if cov not in ITS_COVARIANCES:
        raise StatsInputError(f"cov must be one of {', '.join(ITS_COVARIANCES)}, got {cov!r}")
    weekly = weekly.sort_values(["series", "week", "after"], ignore_index=True)
    series = weekly["series"].to_numpy()
    after = weekly["after"].to_numpy().astype(int)
    t, t_since_golive = _time_columns(series, weekly["week"].to_numpy(), after)
    n_after = np.bincount(series, weights=after, minlength=len(facts)).astype(int)
    n_before = np.bincount(series, minlength=len(facts)) - n_after
    outcomes: list[EstimateResult | StatsInputError] = [
        _too_few_points(b, a, f)
        for b, a, f in zip(n_before.tolist(), n_after.tolist(), facts, strict=True)
    ]
    enough = np.minimum(n_before, n_after) >= MIN_POINTS_PER_SIDE
    if seasonal:
        weeks_before = _weeks_before_go_live(series, t, after, len(facts))
        for index in np.flatnonzero(enough & (weeks_before < SEASON_WEEKS)).tolist():
            outcomes[index] = StatsInputError(
                f"seasonal terms need {SEASON_WEEKS:.0f} weeks of data before go-live "
                f"(this series has {weeks_before[index]:.0f})"
            )
        enough &= weeks_before >= SEASON_WEEKS
    enough = np.flatnonzero(enough)
    if not len(enough):
        return outcomes
    kept = np.isin(series, enough)
    columns = [np.ones(len(t)), t, after, t_since_golive]
    if seasonal:
        angle = 2.0 * np.pi * t / SEASON_WEEKS
        columns += [np.sin(angle), np.cos(angle)]
    design = np.column_stack(columns)[kept]
    values = weekly["value"].to_numpy(dtype=float)[kept]
    starts = np.flatnonzero(np.diff(series[kept], prepend=-1) != 0)
    post = after[kept] == 1
    owner = np.repeat(np.arange(len(enough)), np.diff(np.append(starts, len(values))))
    n_post = np.bincount(owner, weights=post)
    # Means over the post-period weeks of each column: the effect takes the level and slope
    # changes', the counterfactual the intercept's, trend's and season's.
    post_means = np.stack(
        [np.bincount(owner, weights=column * post) / n_post for column in design.T], axis=1
    )
    effect_contrast = np.zeros_like(post_means)
    effect_contrast[:, 2:4] = post_means[:, 2:4]
    counterfactual_contrast = post_means.copy()
    counterfactual_contrast[:, 2:4] = 0.0
    # A controlled series: counterfactual = treated post mean - effect (module docstring).
    kept_facts = [facts[i] for i in enough.tolist()]
    controlled = np.array([f.n_control_weeks > 0 for f in kept_facts])
    counterfactual_contrast[controlled] = -effect_contrast[controlled]
    counterfactual_offset = np.where(controlled, [f.treated_post_mean for f in kept_facts], 0.0)
    fit = (
        _reml_fit(design, values, starts, effect_contrast, seasonal)
        if cov == "reml"
        else _newey_fit(design, values, starts, seasonal)
    )
    results = _results(
        fit,
        effect_contrast,
        counterfactual_contrast,
        counterfactual_offset,
        kept_facts,
        np.column_stack([n_before[enough], n_after[enough]]).tolist(),
        level,
    )
    for index, result in zip(enough.tolist(), results, strict=True):
        outcomes[index] = result
    return outcomes


def _time_columns(series: np.ndarray, week: np.ndarray, after: np.ndarray):
    """t (weeks since the series' first week) and t_since_golive (t - t0 after go-live)."""
    first = pd.Series(week).groupby(series).transform("min").to_numpy()
    t = (week - first).astype(float)
    t0 = pd.Series(np.where(after == 1, t, np.inf)).groupby(series).transform("min").to_numpy()
    return t, np.where(after == 1, t - t0, 0.0)


def _weeks_before_go_live(series, t, after, n_series) -> np.ndarray:
    """Per series, weeks from its first week to its first week after go-live."""
    first_after = np.full(n_series, np.inf)
    np.minimum.at(first_after, series[after == 1], t[after == 1])
    return first_after


def _too_few_points(n_before: int, n_after: int, facts: SeriesFacts) -> StatsInputError:
    undated = f"; {facts.n_without_date} rows have no date" if facts.n_without_date else ""
    paired = " in weeks where both groups have one" if facts.n_control_weeks else ""
    return StatsInputError(
        f"a time series is evidence from {MIN_POINTS_PER_SIDE} weekly points on each side of "
        f"go-live (it has {n_before} before and {n_after} after{paired}{undated})"
    )


@dataclass(frozen=True)
class _Fits:
    """Every series' coefficients (B, p), covariance (B, p, p), df of the effect, level
    change and slope change (B, 3), and what the result says about the method."""

    params: np.ndarray
    covariance: np.ndarray
    df: np.ndarray
    cov_types: list[str]
    warnings: list[tuple[StatsWarning, ...]]
    details: list[dict]


def _reml_fit(design, values, starts, effect_contrast, seasonal: bool) -> _Fits:
    fit = fit_gls_ar1(design, values, starts)
    unit = np.eye(design.shape[1])
    contrasts = np.stack(
        [effect_contrast, *(np.broadcast_to(unit[i], effect_contrast.shape) for i in (2, 3))],
        axis=1,
    )
    at_limit = fit.at_limit.tolist()
    return _Fits(
        params=fit.params,
        covariance=fit.covariance,
        df=fit.satterthwaite_df(contrasts),
        cov_types=[REML_COV_TYPE] * len(starts),
        warnings=[(StatsWarning.AUTOCORRELATION_AT_LIMIT,) if limit else () for limit in at_limit],
        details=[
            {"autocorrelation": phi, "residual_sd": sigma, "seasonal": seasonal}
            for phi, sigma in zip(fit.phi.tolist(), fit.sigma.tolist(), strict=True)
        ],
    )


def _newey_fit(design, values, starts, seasonal: bool) -> _Fits:
    ends = np.append(starts[1:], len(values))
    fits = [
        fit_segmented_regression(design[start:end], values[start:end])
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
    df = (ends - starts - design.shape[1]).astype(float)
    maxlags = [lags for _, _, lags in fits]
    return _Fits(
        params=np.stack([params for params, _, _ in fits]),
        covariance=np.stack([covariance for _, covariance, _ in fits]),
        df=np.repeat(df[:, None], 3, axis=1),
        cov_types=[f"HAC(Newey-West, maxlags={lags})" for lags in maxlags],
        warnings=[()] * len(fits),
        details=[{"maxlags": lags, "seasonal": seasonal} for lags in maxlags],
    )


def _results(
    fits: _Fits,
    effect_contrast,
    counterfactual_contrast,
    counterfactual_offset,
    facts,
    counts,
    level,
):
    """`EstimateResult` of every series, with the numbers of `assemble.finish_estimate`
    computed for all series at once (the array form the fast path uses: `sufficient`)."""
    params, covariance = fits.params, fits.covariance

    def quadratic(left, right):
        return np.einsum("bp,bpq,bq->b", left, covariance, right)

    effect = np.einsum("bp,bp->b", effect_contrast, params)
    sign = np.array([direction_sign(f.direction) for f in facts])
    planned = np.array([np.nan if f.planned_effect is None else f.planned_effect for f in facts])
    missing = np.full(len(facts), np.nan)
    arrays = finish_arrays(
        effect=effect,
        se=np.sqrt(quadratic(effect_contrast, effect_contrast)),
        df=fits.df[:, 0],
        counterfactual=counterfactual_offset
        + np.einsum("bp,bp->b", counterfactual_contrast, params),
        var_counterfactual=quadratic(counterfactual_contrast, counterfactual_contrast),
        cov_effect_counterfactual=quadratic(effect_contrast, counterfactual_contrast),
        g_raw=missing,
        g_variance=missing,
        direction_sign=sign,
        level=level,
        smallest_cell_n=np.full(len(facts), np.inf),  # weekly points: no small-sample flag
        planned_effect=planned,
    )
    changes = _coefficients(params[:, 2:4], covariance, fits.df[:, 1:], level)
    numbers = result_numbers(arrays, sign)
    flags = {
        name: getattr(arrays, name).tolist()
        for name in ("denominator_ci_includes_zero", "zero_variance", "underpowered")
    }
    pre_slopes = params[:, 1].tolist()
    results = []
    for i, fact in enumerate(facts):
        controlled = fact.n_control_weeks > 0
        warnings = [] if controlled else [StatsWarning.NO_CONTROL_GROUP]
        warnings += fits.warnings[i]
        if fact.n_without_date:
            warnings.append(StatsWarning.ROWS_WITHOUT_DATE)
        if flags["denominator_ci_includes_zero"][i]:
            warnings.append(StatsWarning.DENOMINATOR_CI_INCLUDES_ZERO)
        if flags["zero_variance"][i]:
            warnings.append(StatsWarning.ZERO_VARIANCE)
        elif flags["underpowered"][i]:
            warnings.append(StatsWarning.UNDERPOWERED)
        value = {name: column[i] for name, column in numbers.items()}
        value.update((name, none_if_nan(value[name])) for name in _NONE_IF_NAN)
        results.append(
            EstimateResult(
                method="its",
                level=level,
                **value,
                counts=GroupCounts(n_before=counts[i][0], n_after=counts[i][1]),
                cov_type=fits.cov_types[i],
                warnings=tuple(dict.fromkeys(warning.value for warning in warnings)),
                level_change=changes[i][0],
                slope_change=changes[i][1],
                details={
                    **fits.details[i],
                    "n_observations": fact.n_observations,
                    "n_rows_without_date": fact.n_without_date,
                    "pre_slope_per_week": pre_slopes[i],
                    **(
                        {"control_series": True, "n_control_weeks": fact.n_control_weeks}
                        if controlled
                        else {}
                    ),
                },
            )
        )
    return results


# `assemble.finish_estimate` gives None, not NaN, for these.
_NONE_IF_NAN = (
    "statistic",
    "p_value",
    "relative_change",
    "relative_se",
    "relative_ci_low",
    "relative_ci_high",
    "hedges_g",
    "hedges_g_variance",
    "cs_low",
    "cs_high",
)


def _coefficients(estimates, covariance, df, level) -> list[tuple[Coefficient, Coefficient]]:
    """The level and slope changes (b2, b3) of every series, each with its own df."""
    se = np.sqrt(np.stack([covariance[:, 2, 2], covariance[:, 3, 3]], axis=1))
    inference = t_inference(estimates, se, df, level)
    columns = [np.asarray(x).tolist() for x in (estimates, se, inference.ci_low, inference.ci_high)]
    statistic, p_value = (np.asarray(x).tolist() for x in (inference.statistic, inference.p_value))
    return [
        tuple(
            Coefficient(
                estimate=columns[0][i][j],
                se=columns[1][i][j],
                ci_low=columns[2][i][j],
                ci_high=columns[3][i][j],
                statistic=none_if_nan(statistic[i][j]),
                p_value=none_if_nan(p_value[i][j]),
            )
            for j in (0, 1)
        )
        for i in range(len(estimates))
    ]


def fit_segmented_regression(design: np.ndarray, values: np.ndarray):
    """OLS coefficients (b0..b3), their Stata-``newey`` HAC covariance and the lag used."""
    # Imported when fitted, not when the app starts (see gains/stats/__init__.py).
    from statsmodels.regression.linear_model import OLS
    from statsmodels.stats.sandwich_covariance import cov_hac

    fit = OLS(values, design).fit()
    maxlags = newey_west_maxlags(len(values))
    # use_correction=True is the T/(T - k) factor; Bartlett weights are cov_hac's default.
    covariance = cov_hac(fit, nlags=maxlags, use_correction=True)
    return np.asarray(fit.params), np.asarray(covariance), maxlags
