"""The app's own statistics, called as the app calls them, on whichever version is installed.

The suite must run on today's code and pick up the methods of issue 19 once they are merged,
so options are passed only when the function accepts them (`randomised=True` for a declared
trial; `cov="reml"` for a time series; a seasonality switch for a seasonal series; the
planned sample size, where the always-valid interval is tightest) and the
confidence sequence (`cs_low`, `cs_high`) is used when a result carries one.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect

import numpy as np
import pandas as pd

from gains.stats import shrinkage
from gains.stats.design import estimate_improvement
from gains.stats.multiplicity import benjamini_hochberg
from gains.stats.pooling import pool_random_effects

ALPHA = 0.05


@functools.cache
def accepted(function) -> frozenset[str]:
    return frozenset(inspect.signature(function).parameters)


def seasonality_option() -> str | None:
    """The name of `estimate_improvement`'s seasonality switch, if it has one."""
    return next((name for name in sorted(accepted(estimate_improvement)) if "season" in name), None)


def estimate(
    frame: pd.DataFrame,
    design: str,
    *,
    randomised: bool = False,
    seasonal: bool = False,
    cov: str | None = None,
    planned_sample_size: int | None = None,
):
    """`estimate_improvement` as the app calls it, with the options this version accepts."""
    options = {}
    names = accepted(estimate_improvement)
    if planned_sample_size is not None and "planned_sample_size" in names:
        options["planned_sample_size"] = planned_sample_size
    if randomised and "randomised" in names:
        options["randomised"] = True
    season = seasonality_option()
    if seasonal and season:
        options[season] = True
    if cov is not None and "cov" in names:
        options["cov"] = cov
    return estimate_improvement(frame, design=design, direction="higher", alpha=ALPHA, **options)


def describe(result) -> str:
    """The method the app used, as its result names it (e.g. "did, HC3"), with its evidence
    level when results carry one."""
    text = result.method + (f", {result.cov_type}" if result.cov_type else "")
    level = getattr(result, "evidence_level", None)
    return text + (f", evidence level {level}" if level is not None else "")


def shown_as_evidence(result) -> bool:
    """Whether the app presents this estimate as evidence: every estimate before results had
    an evidence level; since, those whose level is not null."""
    return not hasattr(result, "evidence_level") or result.evidence_level is not None


NO_LIVE_INTERVAL_YET = "no interval yet"


def live_interval(result) -> tuple[float | None, float | None, str]:
    """The interval the page shows while an improvement runs: the confidence sequence when
    the result has one; none while a compared sample is too small for one (the page says
    "too few measurements for a live interval yet": no claim, so no look can reject); the
    fixed-sample CI on code from before results carried a confidence sequence."""
    if not hasattr(result, "cs_low"):
        return result.ci_low, result.ci_high, "fixed-sample CI"
    if result.cs_low is None or result.cs_high is None:
        return None, None, NO_LIVE_INTERVAL_YET
    return result.cs_low, result.cs_high, "confidence sequence"


def pool(effects: np.ndarray, variances: np.ndarray, method: str = "dl"):
    """`pool_random_effects` with the app's default CI (normal today, KNHA once merged)."""
    return pool_random_effects(effects, variances, method=method)


def shrunk_total(
    effects: np.ndarray,
    variances: np.ndarray,
    counted: np.ndarray,
    tau2: float | None = None,
    widen: bool = False,
):
    """The BLUPs (τ² by DL, the app's default, or the given ``tau2``) of ``effects`` summed
    over the ``counted`` items (weights 1, 0 for the others), and the variance of that
    total's error; ``widen`` adds what estimating τ² adds to it."""
    if tau2 is None:
        fitted = shrinkage.shrink(effects, variances)
    else:
        fitted = shrinkage.shrink_given_tau2(effects, variances, tau2, "given")
    total, variance = shrinkage.shrunk_total(fitted, variances, counted)
    if widen:
        variance += shrinkage.tau2_estimation_variance(fitted, effects, variances, counted)
    return total, variance


def bh(p_values) -> np.ndarray:
    return benjamini_hochberg(p_values)


@functools.cache
def bh_decides_over_the_final_family() -> bool:
    """Whether the app decides by BH over the financial year's whole family, provisional until
    the year closes (its review families then say whether they are `final`), rather than by
    the adjusted p frozen when each submission is approved (the rule before issue 19)."""
    from gains.services.review.decisions import FamilyMember

    return "final" in {field.name for field in dataclasses.fields(FamilyMember)}
