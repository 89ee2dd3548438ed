"""Random-effects pooling of Hedges' g across a department's improvements.

DerSimonian & Laird (1986, Control. Clin. Trials 7:177-188) by default; Paule & Mandel
(1982, J. Res. Natl. Bur. Stand. 87:377-385) on request, solving the generalised Q equation
with Brent's root finder. Reproduces R ``metafor::rma(yi, vi, method="DL"|"PM", test=...)``.

The pooled CI is by default the Hartung-Knapp-Sidik-Jonkman interval (Hartung & Knapp 2001,
Stat. Med. 20:3875-3889; Sidik & Jonkman 2002, Stat. Med. 21:3153-3159), rma's
``test="knha"``: the variance 1/Σwᵢ scaled by q = Σwᵢ(yᵢ - μ̂)²/(k - 1), untruncated, and t
with k - 1 df. A normal CI with few improvements covers 0.88-0.91 (issue 19); HKSJ keeps
about 0.95 unless the improvements' sizes differ many-fold. ``"adhoc"`` is the variant that
never lets q shrink the variance, max(1, q) (Röver, Knapp & Friede 2015, BMC Med. Res.
Methodol. 15:99; rma's ``test="adhoc"``); ``"z"`` is the old normal CI (rma's default).
The prediction interval is ``predict.rma(pi.type="riley")``: t with k - 2 df and the CI's own
variance plus τ² (Higgins, Thompson & Spiegelhalter 2009, JRSS A 172:137-159; Riley, Higgins
& Deeks 2011, BMJ 342:d549), so it always contains the CI. I² follows metafor (Higgins &
Thompson 2002): 100·τ²/(τ² + s²) with s² the "typical" within-study variance, in [0, 100].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gains.stats.assemble import StatsInputError
from gains.stats.inference import DEFAULT_LEVEL, critical_value

MIN_STUDIES = 3
METHODS = ("dl", "pm")
METHOD_NAMES = {"dl": "DerSimonian-Laird", "pm": "Paule-Mandel"}
CI_METHODS = ("knha", "adhoc", "z")
DEFAULT_CI_METHOD = "knha"
CI_METHOD_NAMES = {
    "knha": "Hartung-Knapp-Sidik-Jonkman",
    "adhoc": "Hartung-Knapp-Sidik-Jonkman, never narrower than the normal-theory variance",
    "z": "normal",
}
CI_METHOD_ABBREVIATIONS = {"knha": "HKSJ", "adhoc": "HKSJ ad hoc", "z": "normal"}


@dataclass(frozen=True)
class PooledEstimate:
    """Pooled effect with CI (``ci_method``; t on ``df`` degrees of freedom, None for the
    normal CI), prediction interval (t, k - 2 df), τ², I² (%), Q. ``se`` is the CI's own
    standard error (for HKSJ, the scaled one)."""

    method: str
    ci_method: str
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
    df: int | None


def pool_random_effects(
    effects,
    variances,
    method: str = "dl",
    level: float = DEFAULT_LEVEL,
    ci_method: str = DEFAULT_CI_METHOD,
):
    """Random-effects pooled estimate with CI, prediction interval, τ², I², Q and its p.

    ``effects`` and ``variances`` are the improvements' Hedges' g and sampling variances;
    ``ci_method`` is ``"knha"`` (HKSJ, default), ``"adhoc"`` (HKSJ with max(1, q)) or ``"z"``.
    """
    y, v = _check_inputs(effects, variances, method, ci_method)
    k = len(y)
    q = _generalised_q(y, v, 0.0)
    tau2 = between_study_variance(y, v, method)
    weights = 1.0 / (v + tau2)
    estimate = float(np.sum(weights * y) / np.sum(weights))
    df = None if ci_method == "z" else k - 1
    se = float(np.sqrt(_hksj_scaling(y, v, tau2, ci_method) / np.sum(weights)))
    half_width = float(critical_value(level, np.inf if df is None else df)) * se
    pi_half_width = float(critical_value(level, k - 2) * np.sqrt(tau2 + se**2))
    from scipy import stats  # here: importing it costs every command ~0.5 s and 60 MB

    return PooledEstimate(
        method=method,
        ci_method=ci_method,
        k=k,
        level=level,
        estimate=estimate,
        se=se,
        ci_low=estimate - half_width,
        ci_high=estimate + half_width,
        pi_low=estimate - pi_half_width,
        pi_high=estimate + pi_half_width,
        tau2=float(tau2),
        i2=_i_squared(v, tau2),
        q=float(q),
        q_p_value=float(stats.chi2.sf(q, k - 1)),
        df=df,
    )


def _hksj_scaling(y: np.ndarray, v: np.ndarray, tau2: float, ci_method: str) -> float:
    """The factor on 1/Σwᵢ: 1 for the normal CI; q = Q(τ̂²)/(k - 1) for HKSJ, where metafor
    takes q ≤ machine epsilon as 0 (identical effects: a zero-width interval, as rma gives);
    max(1, q) for the ad hoc variant. With PM and τ̂² > 0, q = 1 by construction."""
    if ci_method == "z":
        return 1.0
    q = _generalised_q(y, v, tau2)
    q = 0.0 if q <= np.finfo(float).eps else q / (len(y) - 1)
    return max(1.0, q) if ci_method == "adhoc" else q


def _check_inputs(effects, variances, method: str, ci_method: str):
    if ci_method not in CI_METHODS:
        raise StatsInputError(
            f"ci_method must be one of {', '.join(CI_METHODS)}, got {ci_method!r}"
        )
    return check_effects(effects, variances, method, MIN_STUDIES)


def check_effects(effects, variances, method: str, minimum: int):
    """The effects and variances as arrays, or a `StatsInputError` saying what is wrong:
    ``method`` one of `METHODS`, at least ``minimum`` improvements, finite effects, positive
    variances, all within the range where Q and τ² can be computed. Shared with
    `gains.stats.shrinkage`."""
    if method not in METHODS:
        raise StatsInputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    y = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    if y.shape != v.shape or y.ndim != 1:
        raise StatsInputError("effects and variances must be two lists of the same length")
    if len(y) < minimum:
        raise StatsInputError(f"pooling needs at least {minimum} improvements, got {len(y)}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise StatsInputError("effects must be finite and variances finite and positive")
    # Q and τ² square the effects and the weights 1/v: outside these ranges they overflow
    # into nulls or underflow into a false Q = 0 (issue 19).
    if np.any(np.abs(y) > 1e50) or np.any(v > 1e100) or np.any(v < 1e-100):
        raise StatsInputError(
            "effects or variances are too large or too small to pool (effects within ±1e50, "
            "variances between 1e-100 and 1e100): rescale them"
        )
    return y, v


def between_study_variance(y: np.ndarray, v: np.ndarray, method: str) -> float:
    """τ̂² by DerSimonian-Laird (``"dl"``) or Paule-Mandel (``"pm"``) for checked inputs
    (`check_effects`). One improvement has no spread to estimate: 0, as metafor's ``rma``
    sets it when k = 1."""
    if len(y) == 1:
        return 0.0
    if method == "dl":
        return _tau2_dersimonian_laird(y, v, _generalised_q(y, v, 0.0))
    return _tau2_paule_mandel(y, v)


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
