"""Turn a design's core numbers into the common :class:`EstimateResult`.

Every design supplies the effect, its SE and df, the counterfactual mean with its variance and
covariance with the effect, and Hedges' g; this module adds the CI, gain, relative change,
power warning and the ``None``-for-missing convention in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from gains.stats.inference import UNDERPOWERED_BELOW, power_for_effect, t_inference
from gains.stats.relative_change import relative_change
from gains.stats.results import Coefficient, EstimateResult, GroupCounts
from gains.stats.sequential import sequential_interval
from gains.stats.warning_codes import StatsWarning

DIRECTIONS = {"higher": 1.0, "lower": -1.0}
SMALL_SAMPLE_BELOW = 5
# An SE this small next to the magnitude M of the estimates and data (the largest |effect|,
# |counterfactual| or |cell mean|) is rounding noise from a fit to data with no variation and
# counts as exactly zero. Doubles near M are spaced about eps·M apart (eps = 2.2e-16): a
# two-pass variance of equal values is off by about that (Welch and paired measured at most
# 1·eps·M), and a least-squares fit adds its conditioning and HC3's 1/(1 - h) (DiD measured up
# to 12·eps·M, ITS up to 69·eps·M, over 7,000 random constant or exactly linear data sets).
# 128·eps·M = 2.8e-14·M clears those, and a real SE is seldom that close to the spacing of its
# own data: values near 1e9 with an SD of 1e-3 have an SE of 1,900·eps·M and keep it (the old
# 1e-12·M = 4,500·eps·M zeroed it). Decision record 0031.
ZERO_SE_RELATIVE = 128 * 2.0**-52
TUKEY_FAR_OUT = 3.0


class StatsInputError(ValueError):
    """The data cannot be analysed as given (missing columns, bad labels, too few rows)."""


def direction_sign(direction: str) -> float:
    """+1 when higher values are better, -1 when lower values are better."""
    try:
        return DIRECTIONS[direction]
    except KeyError:
        raise StatsInputError(f"direction must be 'higher' or 'lower', got {direction!r}") from None


@dataclass(frozen=True)
class CoreEstimate:
    """What a design computes before the shared finishing steps."""

    method: str
    effect: float
    se: float
    df: float
    counterfactual_mean: float
    var_counterfactual: float
    cov_effect_counterfactual: float
    hedges_g_raw: float | None
    hedges_g_variance: float | None
    counts: GroupCounts
    cov_type: str | None = None
    warnings: tuple[str, ...] = ()
    level_change: Coefficient | None = None
    slope_change: Coefficient | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # The largest |mean| among the cells compared: an SE that is rounding noise next to the
    # data counts as zero even when the effect and counterfactual are both 0 (DiD).
    data_scale: float = 0.0
    # The rows (or units) of each independent sample the effect compares, in the count the
    # confidence sequence uses (`stats.sequential`); empty where it is not defined.
    sequential_sizes: tuple[int, ...] = ()


def finish_estimate(
    core: CoreEstimate,
    direction: str,
    level: float,
    planned_effect: float | None,
    planned_sample_size: int | None = None,
) -> EstimateResult:
    """Add CI, p, gain, relative change, the always-valid interval and the shared warnings
    to a design's core estimate. ``planned_sample_size`` (per phase and group) says where
    the always-valid interval is tightest."""
    sign = direction_sign(direction)
    core = replace(core, se=_zero_if_rounding_noise(core))
    inference = t_inference(core.effect, core.se, core.df, level)
    crit = float(inference.critical_value)
    relative = relative_change(
        core.effect,
        core.counterfactual_mean,
        core.se**2,
        core.var_counterfactual,
        core.cov_effect_counterfactual,
        crit,
    )
    warnings = list(core.warnings)
    if bool(relative.denominator_ci_includes_zero):
        warnings.append(StatsWarning.DENOMINATOR_CI_INCLUDES_ZERO)
    if not core.se > 0:
        warnings.append(StatsWarning.ZERO_VARIANCE)
    elif planned_effect is not None and _underpowered(planned_effect, core, level):
        warnings.append(StatsWarning.UNDERPOWERED)
    gain_bounds = sorted((sign * float(inference.ci_low), sign * float(inference.ci_high)))
    g = None if core.hedges_g_raw is None else sign * core.hedges_g_raw
    cs_low, cs_high = sequential_interval(
        core.effect, core.se, core.sequential_sizes, level, planned_sample_size
    )
    return EstimateResult(
        method=core.method,
        level=level,
        effect=core.effect,
        se=core.se,
        df=core.df,
        statistic=none_if_nan(inference.statistic),
        p_value=none_if_nan(inference.p_value),
        ci_low=float(inference.ci_low),
        ci_high=float(inference.ci_high),
        gain=sign * core.effect,
        gain_ci_low=gain_bounds[0],
        gain_ci_high=gain_bounds[1],
        counterfactual_mean=core.counterfactual_mean,
        relative_change=none_if_nan(relative.ratio),
        relative_se=none_if_nan(relative.se),
        relative_ci_low=none_if_nan(relative.ci_low),
        relative_ci_high=none_if_nan(relative.ci_high),
        hedges_g=none_if_nan(g),
        hedges_g_variance=none_if_nan(core.hedges_g_variance),
        counts=core.counts,
        cov_type=core.cov_type,
        warnings=tuple(dict.fromkeys(StatsWarning(code).value for code in warnings)),
        level_change=core.level_change,
        slope_change=core.slope_change,
        details=core.details,
        cs_low=none_if_nan(cs_low),
        cs_high=none_if_nan(cs_high),
    )


def sample_warnings(cells: list[pd.Series]) -> list[StatsWarning]:
    """``small_sample`` and ``strong_outliers`` checks over the cells a design compares."""
    warnings = []
    if any(len(cell) < SMALL_SAMPLE_BELOW for cell in cells):
        warnings.append(StatsWarning.SMALL_SAMPLE)
    if any(has_strong_outliers(cell) for cell in cells):
        warnings.append(StatsWarning.STRONG_OUTLIERS)
    return warnings


def has_strong_outliers(values: pd.Series) -> bool:
    """Tukey's "far out" values: beyond 3 interquartile ranges from the quartiles (EDA, 1977).

    A yes/no outcome (two distinct values, such as 0 and 100 for "paid on time") has no
    outliers: with a rare event its IQR is 0 and every event would be flagged.
    """
    if len(values) < 4 or values.nunique() <= 2:
        return False
    q1, q3 = np.percentile(values, [25, 75])
    spread = TUKEY_FAR_OUT * (q3 - q1)
    return bool(((values < q1 - spread) | (values > q3 + spread)).any())


def _zero_if_rounding_noise(core: CoreEstimate) -> float:
    magnitude = max(abs(core.effect), abs(core.counterfactual_mean), core.data_scale)
    return 0.0 if core.se <= ZERO_SE_RELATIVE * magnitude else core.se


def _underpowered(planned_effect: float, core: CoreEstimate, level: float) -> bool:
    return float(power_for_effect(planned_effect, core.se, core.df, level)) < UNDERPOWERED_BELOW


def none_if_nan(value) -> float | None:
    """A number as a Python float, or None where it is missing, NaN or infinite (the results'
    convention, `gains.stats.results`)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
