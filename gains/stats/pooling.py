"""Random-effects pooling of Hedges' g across a department's improvements.

DerSimonian & Laird (1986, Control. Clin. Trials 7:177-188) by default; Paule & Mandel
(1982, J. Res. Natl. Bur. Stand. 87:377-385) on request, solving the generalised Q equation
with Brent's root finder. Reproduces R ``metafor::rma(yi, vi, method="DL"|"PM")``: the pooled
CI uses the normal quantile (rma's default ``test="z"``); the prediction interval uses t with
k - 2 df (Higgins, Thompson & Spiegelhalter 2009, JRSS A 172:137-159; IntHout et al. 2016,
BMJ Open 6:e010247). I² follows metafor (Higgins & Thompson 2002): 100·τ²/(τ² + s²) with s²
the "typical" within-study variance, so it is in [0, 100] by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gains.stats.assemble import StatsInputError
from gains.stats.inference import DEFAULT_LEVEL, critical_value

MIN_STUDIES = 3
METHODS = ("dl", "pm")


@dataclass(frozen=True)
class PooledEstimate:
    """Pooled effect with CI (normal), prediction interval (t, k - 2 df), τ², I² (%), Q."""

    method: str
    k: int
    level: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    i2: float
    q: float
    q_p_value: float


def pool_random_effects(effects, variances, method: str = "dl", level: float = DEFAULT_LEVEL):
    """Random-effects pooled estimate with CI, prediction interval, τ², I², Q and its p.

    ``effects`` and ``variances`` are the improvements' Hedges' g and sampling variances.
    """
    y, v = _check_inputs(effects, variances, method)
    k = len(y)
    q = _generalised_q(y, v, 0.0)
    tau2 = _tau2_dersimonian_laird(y, v, q) if method == "dl" else _tau2_paule_mandel(y, v)
    weights = 1.0 / (v + tau2)
    estimate = float(np.sum(weights * y) / np.sum(weights))
    se = float(np.sqrt(1.0 / np.sum(weights)))
    z = float(critical_value(level, np.inf))
    pi_half_width = float(critical_value(level, k - 2) * np.sqrt(tau2 + se**2))
    from scipy import stats  # here: importing it costs every command ~0.5 s and 60 MB

    return PooledEstimate(
        method=method,
        k=k,
        level=level,
        estimate=estimate,
        se=se,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        pi_low=estimate - pi_half_width,
        pi_high=estimate + pi_half_width,
        tau2=float(tau2),
        i2=_i_squared(v, tau2),
        q=float(q),
        q_p_value=float(stats.chi2.sf(q, k - 1)),
    )


def _check_inputs(effects, variances, method: str) -> tuple[np.ndarray, np.ndarray]:
    if method not in METHODS:
        raise StatsInputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    y = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    if y.shape != v.shape or y.ndim != 1:
        raise StatsInputError("effects and variances must be two lists of the same length")
    if len(y) < MIN_STUDIES:
        raise StatsInputError(f"pooling needs at least {MIN_STUDIES} improvements, got {len(y)}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise StatsInputError("effects must be finite and variances finite and positive")
    return y, v


def _generalised_q(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """Σ wᵢ(yᵢ - μ̂)² with wᵢ = 1/(vᵢ + τ²); at τ² = 0 it is Cochran's Q."""
    weights = 1.0 / (v + tau2)
    mean = np.sum(weights * y) / np.sum(weights)
    return float(np.sum(weights * (y - mean) ** 2))


def _tau2_dersimonian_laird(y: np.ndarray, v: np.ndarray, q: float) -> float:
    weights = 1.0 / v
    scaling = np.sum(weights) - np.sum(weights**2) / np.sum(weights)
    return max(0.0, (q - (len(y) - 1)) / scaling)


def _tau2_paule_mandel(y: np.ndarray, v: np.ndarray) -> float:
    """Root of Q(τ²) = k - 1; Q decreases in τ², so bracket by doubling and use brentq."""
    target = len(y) - 1

    def excess(tau2: float) -> float:
        return _generalised_q(y, v, tau2) - target

    if excess(0.0) <= 0.0:
        return 0.0
    upper = max(float(np.var(y, ddof=1)), float(np.max(v)), 1e-12)
    while excess(upper) > 0.0:
        upper *= 2.0
    from scipy import optimize  # here, as scipy.stats above

    return float(optimize.brentq(excess, 0.0, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def _i_squared(v: np.ndarray, tau2: float) -> float:
    weights = 1.0 / v
    k = len(v)
    typical_variance = (k - 1) * np.sum(weights) / (np.sum(weights) ** 2 - np.sum(weights**2))
    return float(np.clip(100.0 * tau2 / (tau2 + typical_variance), 0.0, 100.0))
