"""t-based inference from an estimate, its standard error and degrees of freedom.

All functions are vectorised: they take scalars or numpy arrays, so the raw-data path and the
sufficient-statistics path (many improvements at once) share them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

DEFAULT_LEVEL = 0.95
UNDERPOWERED_BELOW = 0.8


@dataclass(frozen=True)
class TInference:
    """Statistic, two-sided p, CI bounds and the critical value used (arrays)."""

    statistic: np.ndarray
    p_value: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    critical_value: np.ndarray


def critical_value(level: float, df) -> np.ndarray:
    """Two-sided critical value of Student's t (df = inf gives the normal quantile)."""
    _check_level(level)
    return stats.t.ppf(0.5 + level / 2.0, df)


def t_inference(effect, se, df, level: float = DEFAULT_LEVEL) -> TInference:
    """Wald t statistic, two-sided p and CI: ``effect ± t_{1-alpha/2, df} · se``.

    A zero standard error (no variation) gives NaN statistic and p rather than a division
    warning; the caller adds the ``zero_variance`` warning.
    """
    effect = np.asarray(effect, dtype=float)
    se = np.asarray(se, dtype=float)
    crit = critical_value(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(se > 0, effect / np.where(se > 0, se, 1.0), np.nan)
    p_value = 2.0 * stats.t.sf(np.abs(statistic), df)
    return TInference(
        statistic=statistic,
        p_value=p_value,
        ci_low=effect - crit * se,
        ci_high=effect + crit * se,
        critical_value=crit,
    )


def power_for_effect(planned_effect, se, df, level: float = DEFAULT_LEVEL) -> np.ndarray:
    """Power of the two-sided t test to detect ``planned_effect`` given the achieved ``se``.

    Noncentral t with noncentrality ``|planned_effect| / se`` (both rejection tails), i.e. the
    design-analysis view of Gelman & Carlin (2014) "Beyond power calculations".
    """
    crit = critical_value(level, df)
    noncentrality = np.abs(np.asarray(planned_effect, dtype=float)) / np.asarray(se, dtype=float)
    upper = stats.nct.sf(crit, df, noncentrality)
    lower = stats.nct.cdf(-crit, df, noncentrality)
    return upper + lower


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")


# The normal quantile of the default level (1.959963984540054), once: totals' bands and the
# pooled studies' intervals use it for thousands of items, and SciPy's ppf costs ~40 µs a call.
NORMAL_Z = float(critical_value(DEFAULT_LEVEL, np.inf))
