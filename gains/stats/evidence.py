"""Evidence levels: how far an estimate's design rules out other explanations (docs/DESIGN.md
"Evidence levels", modelled on the Maryland Scientific Methods Scale of Sherman et al. 1997,
as the What Works centres use it).

| level | when |
|---|---|
| 2 | before/after or paired without a comparison group, or any design downgraded to them; a
|   | comparison group seen only after the change without random assignment (a time series
|   | with fewer than 8 weekly points a side has no estimate at all) |
| 3 | difference-in-differences with a comparison group; a time series with ≥ 8 weekly points
|   | a side |
| 4 | DiD whose before rows span ≥ 2 weeks in both groups with trends not shown to differ (the
|   | pre-trend test below), or a time series with a control series |
| 5 | DiD or treatment vs control with assignment declared randomised at registration |

The level is decided from the method actually used (after any downgrade), so declaring a
randomised trial whose data only support a before/after comparison gives level 2.

**Pre-trend test.** A period is a week starting on Monday (as the time series' weekly points).
On the before rows only, OLS ``value ~ treated * t`` with t the week (so each group has its own
intercept and slope) and the classical variance; the test is the t test of the treated × t
interaction (treated slope minus control slope) on n − 4 degrees of freedom, equal to R's
``summary(lm(value ~ treated * t, data = before))``. Trends count as parallel when each group's
before rows span at least 2 weeks, every before row has a date, and p ≥ 0.10. This is weak
evidence: the test has little power with few weeks or noisy rows (failing to reject is not
showing parallel trends; Roth 2022, AER: Insights 4:305-322), and rows of the same unit or week
are treated as independent. It is a floor for level 4, not proof.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gains.stats import timeseries
from gains.stats.inference import t_sf

LEVELS = (2, 3, 4, 5)
PRE_TREND_ALPHA = 0.10  # fail to reject at this level to count as parallel
MIN_PRE_TREND_WEEKS = 2

# What each level means, in words for the page (and for exports).
LEVEL_LABELS = {
    2: "Level 2 of 5: compared with before, no comparison group",
    3: "Level 3 of 5: compared with a group that did not get the change",
    4: "Level 4 of 5: comparison group with parallel trends before the change",
    5: "Level 5 of 5: randomised trial",
}
# The same for a time series, whose level 3 and 4 rest on other grounds.
TIME_SERIES_LABELS = {
    2: "Level 2 of 5: too few weeks before and after to count as a time series",
    3: "Level 3 of 5: a long time series before and after the change",
    4: "Level 4 of 5: time series compared with a control series",
}


def level_label(level: int | None, method: str | None = None) -> str | None:
    """The plain-English label of a level (``None`` when there is no level)."""
    if level is None:
        return None
    if method == "its" and level in TIME_SERIES_LABELS:
        return TIME_SERIES_LABELS[level]
    return LEVEL_LABELS[level]


def evidence_level(
    method: str,
    *,
    randomised: bool,
    parallel_pre_trends: bool,
    weekly_points_per_side: int = 0,
    control_series: bool = False,
) -> int:
    """The evidence level (2–5) of an estimate made by ``method`` (a `design` method name).

    ``randomised``: the assignment was declared random at registration; ``parallel_pre_
    trends``: `pre_trend_test` passed (DiD); ``weekly_points_per_side``: the fewer of the time
    series' weekly points before and after; ``control_series``: the time series was fitted
    with a control series.
    """
    if method in ("did", "treatment_vs_control") and randomised:
        return 5
    if method == "did":
        return 4 if parallel_pre_trends else 3
    if method == "its":
        if control_series:
            return 4
        return 3 if weekly_points_per_side >= timeseries.MIN_POINTS_PER_SIDE else 2
    return 2  # welch, paired, a non-randomised comparison seen only after the change


def level_of_result(result, *, randomised: bool, parallel_pre_trends: bool) -> int:
    """`evidence_level` from an `EstimateResult`: the one call both estimate paths make."""
    return evidence_level(
        result.method,
        randomised=randomised,
        parallel_pre_trends=parallel_pre_trends,
        weekly_points_per_side=min(result.counts.n_before, result.counts.n_after),
        control_series=bool(result.details.get("control_series")),
    )


def level_of_document(document: dict) -> int | None:
    """A stored estimate document's level. One stored before evidence levels existed gets
    the level that is sure without its data: 2 for the designs without a comparison group,
    otherwise unknown (``None``)."""
    level = document.get("evidence_level")
    if level is None and document.get("method") in ("welch", "paired"):
        return 2
    return level


# --- Pre-trend test --------------------------------------------------------------------------

TREND_FIGURES = ("weeks", "time_ss", "time_value_cp", "value_ss")


def week_numbers(dates) -> np.ndarray:
    """Each date's Monday-start week (`timeseries.week_numbers`, the one week of Gains) as a
    float, NaN without a date. Dates as datetime64, `date` objects or ISO text; each distinct
    date is converted once (a million rows have a few hundred)."""
    codes, distinct = pd.factorize(np.asarray(dates, dtype=object), use_na_sentinel=True)
    days = pd.to_datetime(pd.Series(distinct, dtype=object))
    weeks = timeseries.week_numbers(days).astype(float)
    return np.append(weeks, np.nan)[codes]


def trend_summaries(keys, weeks, values) -> pd.DataFrame:
    """Per key (ascending, the index): the figures a pre-trend test needs of one group's
    before rows (`TREND_FIGURES`): distinct weeks, Σ(t − t̄)², Σ(t − t̄)(y − ȳ), Σ(y − ȳ).
    All NaN for a key with a row without a date. The one computation, for one improvement's
    rows and for the kept summaries of many (`services.estimates.cells`)."""
    keys = np.asarray(keys, dtype=np.int64)
    weeks = np.asarray(weeks, dtype=float)
    values = np.asarray(values, dtype=float)
    if not len(keys):
        empty = pd.Index([], dtype=np.int64, name="code")
        return pd.DataFrame(columns=list(TREND_FIGURES), index=empty, dtype=float)
    distinct, position = np.unique(keys, return_inverse=True)
    count = len(distinct)
    n = np.bincount(position, minlength=count).astype(float)
    undated = np.bincount(position, weights=np.isnan(weeks), minlength=count) > 0
    known = np.nan_to_num(weeks)
    time_deviation = known - (np.bincount(position, weights=known, minlength=count) / n)[position]
    value_deviation = (
        values - (np.bincount(position, weights=values, minlength=count) / n)[position]
    )
    pairs = np.unique(np.stack([position, known]), axis=1)
    table = pd.DataFrame(
        {
            "weeks": np.bincount(pairs[0].astype(np.int64), minlength=count).astype(float),
            "time_ss": np.bincount(position, weights=time_deviation**2, minlength=count),
            "time_value_cp": np.bincount(
                position, weights=time_deviation * value_deviation, minlength=count
            ),
            "value_ss": np.bincount(position, weights=value_deviation**2, minlength=count),
        },
        index=pd.Index(distinct, name="code"),
    )
    table.loc[undated, :] = np.nan
    return table


@dataclass(frozen=True)
class PreTrends:
    """The pre-trend test of many improvements (arrays, one element each): the difference in
    weekly slopes (treated − control), its t statistic and df, the two-sided p (NaN where
    untestable) and whether the trends count as parallel."""

    slope_difference: np.ndarray
    statistic: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    parallel: np.ndarray


def pre_trend_test(n_treated, treated: dict, n_control, control: dict) -> PreTrends:
    """The treated × week interaction's t test on the before rows, from each group's row
    count and `trend_summaries` (dicts or frames with `TREND_FIGURES`), vectorised. Pooled
    residual variance over both groups (classical OLS), n − 4 df."""
    n_t, n_c = np.asarray(n_treated, dtype=float), np.asarray(n_control, dtype=float)
    sxx_t, sxx_c = _figure(treated, "time_ss"), _figure(control, "time_ss")
    with np.errstate(divide="ignore", invalid="ignore"):
        slope_t = _figure(treated, "time_value_cp") / sxx_t
        slope_c = _figure(control, "time_value_cp") / sxx_c
        residual = (
            _figure(treated, "value_ss")
            - slope_t * _figure(treated, "time_value_cp")
            + _figure(control, "value_ss")
            - slope_c * _figure(control, "time_value_cp")
        )
        df = n_t + n_c - 4.0
        variance = np.maximum(residual, 0.0) / df * (1.0 / sxx_t + 1.0 / sxx_c)
        difference = slope_t - slope_c
        statistic = difference / np.sqrt(variance)
    testable = (
        (_figure(treated, "weeks") >= MIN_PRE_TREND_WEEKS)
        & (_figure(control, "weeks") >= MIN_PRE_TREND_WEEKS)
        & (df >= 1)
        & (variance > 0)
        & np.isfinite(statistic)
    )
    p_value = np.where(
        testable,
        2.0 * t_sf(np.abs(np.where(testable, statistic, 0.0)), np.where(testable, df, 1.0)),
        np.nan,
    )
    return PreTrends(
        slope_difference=np.where(testable, difference, np.nan),
        statistic=np.where(testable, statistic, np.nan),
        df=np.where(testable, df, np.nan),
        p_value=p_value,
        parallel=testable & (p_value >= PRE_TREND_ALPHA),
    )


def pre_trends_of_rows(frame: pd.DataFrame) -> PreTrends:
    """`pre_trend_test` of one improvement's rows (``phase``, ``group``, ``value``, ``date``):
    one element."""
    before = frame[frame["phase"] == "before"]
    dates = before["date"] if "date" in before.columns else pd.Series(pd.NaT, index=before.index)
    control = (before["group"] == "control").to_numpy().astype(np.int64)
    summaries = trend_summaries(control, week_numbers(dates), before["value"]).reindex([0, 1])
    n = np.bincount(control, minlength=2)
    return pre_trend_test(
        n[:1], summaries.iloc[[0]].to_dict("list"), n[1:], summaries.iloc[[1]].to_dict("list")
    )


def _figure(summary, name: str) -> np.ndarray:
    return np.asarray(summary[name], dtype=float)
