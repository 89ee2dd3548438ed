"""t-based inference from an estimate, its standard error and degrees of freedom.

All functions are vectorised: they take scalars or numpy arrays, so the raw-data path and the
sufficient-statistics path (many improvements at once) share them.

The distributions are SciPy's special functions, the very ones `scipy.stats.t` and
`scipy.stats.nct` call, rather than those objects: importing `scipy.stats` costs about half
a second and 60 MB, which every command paid (`gains import` refreshes an estimate). Where
the arguments are outside the interior where `scipy.stats` only forwards to them (a zero or
missing df, an infinite bound), `scipy.stats` itself answers. `tests/stats/
test_inference_special.py` checks the results are bit for bit those of `scipy.stats`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy.special import _ufuncs

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
    return t_ppf(0.5 + level / 2.0, df)


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
    p_value = 2.0 * t_sf(np.abs(statistic), df)
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
    upper = nct_sf(crit, df, noncentrality)
    lower = nct_cdf(-crit, df, noncentrality)
    # The far (wrong-sign) tail comes back NaN where it underflows, at large noncentrality
    # (d = 0.5 with 1,000 a group): there it is below 1e-20, so its normal approximation
    # Φ(−crit − nc) is as good as exact, and the power stays a number (about 1).
    lower = np.where(np.isnan(lower), special.ndtr(-crit - noncentrality), lower)
    return upper + lower


def _interior(*arguments) -> bool:
    """Whether every argument is finite and every df (the second) positive."""
    arrays = [np.asarray(argument, dtype=float) for argument in arguments]
    return all(np.isfinite(array).all() for array in arrays) and bool((arrays[1] > 0).all())


def t_ppf(q, df):
    """`scipy.stats.t.ppf(q, df)`: ``stdtrit`` (df may be infinite: the normal quantile)."""
    df_finite = np.where(np.isinf(np.asarray(df, dtype=float)), 1.0, df)
    if _interior(q, df_finite) and np.all((np.asarray(q) > 0) & (np.asarray(q) < 1)):
        return special.stdtrit(df, q)
    from scipy import stats

    return stats.t.ppf(q, df)


def t_sf(x, df):
    """`scipy.stats.t.sf(x, df)`: ``stdtr(df, -x)``."""
    x_or_zero = np.where(np.isnan(np.asarray(x, dtype=float)), 0.0, x)  # NaN in, NaN out
    if _interior(x_or_zero, df):
        return special.stdtr(df, -np.asarray(x, dtype=float))
    from scipy import stats

    return stats.t.sf(x, df)


def nct_sf(x, df, nc):
    """`scipy.stats.nct.sf(x, df, nc)`: Boost's ``_nct_sf``, clipped to [0, 1] as there."""
    if _interior(x, df, nc):
        with np.errstate(over="ignore"):  # as scipy.stats does
            return np.clip(_ufuncs._nct_sf(x, df, nc), 0, 1)
    from scipy import stats

    return stats.nct.sf(x, df, nc)


def nct_cdf(x, df, nc):
    """`scipy.stats.nct.cdf(x, df, nc)`: ``nctdtr(df, nc, x)``."""
    if _interior(x, df, nc):
        return special.nctdtr(df, nc, x)
    from scipy import stats

    return stats.nct.cdf(x, df, nc)


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")


# The normal quantile of the default level (1.959963984540054), once: totals' bands and the
# pooled studies' intervals use it for thousands of items, and SciPy's ppf costs ~40 µs a call.
NORMAL_Z = float(critical_value(DEFAULT_LEVEL, np.inf))


def normal_interval(estimate: float, variance: float) -> tuple[float, float]:
    """The default-level normal interval estimate ± z·√variance: one study's interval beside
    a pooled result (metafor's forest plot draws the same)."""
    half_width = NORMAL_Z * math.sqrt(variance)
    return estimate - half_width, estimate + half_width
