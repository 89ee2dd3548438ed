"""Empirical-Bayes shrinkage: each improvement's effect pulled toward its department's pooled
effect, by the random-effects model's best linear unbiased predictions (BLUPs).

Reproduces R ``metafor::blup(rma(yi, vi, method="DL"|"PM"))`` with rma's default normal test
(Raudenbush & Bryk 1985, J. Educ. Stat. 10:75-98; Robinson 1991, Stat. Sci. 6:15-32). With
λᵢ = τ²/(τ² + vᵢ) and μ̂ the random-effects mean (weights wᵢ = 1/(vᵢ + τ²)):

    shrunkᵢ = λᵢ yᵢ + (1 − λᵢ) μ̂,    shrunk_seᵢ² = λᵢ vᵢ + (1 − λᵢ)² / Σw.

The second is the variance of the prediction error θ̂ᵢ − θᵢ for the estimated μ̂ and a known
τ² (Henderson's PEV): λᵢvᵢ = (1 − λᵢ)τ² and the error's parts are uncorrelated. The errors of
different improvements share μ̂'s, so they are correlated: `prediction_error_covariance`
gives the whole matrix, diag(λᵢvᵢ) + (1 − λ)(1 − λ)ᵀ/Σw, whose diagonal is shrunk_se². A
department total needs the off-diagonal terms. Neither counts the uncertainty of τ̂² itself
(Kackar & Harville 1984, JASA 79:853-862), so bands are a little narrow when k is small; the
calibration suite measures by how much (winner's-curse scenarios).

Where τ̂² = 0 every improvement is shrunk fully to μ̂ (λ = 0); with one improvement τ² is 0
and μ̂ is the improvement itself, so nothing moves (metafor does the same).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gains.stats.pooling import between_study_variance, check_effects

MIN_ITEMS = 1  # metafor's rma fits k = 1 (τ² = 0): the item comes back unshrunk


@dataclass(frozen=True)
class Shrinkage:
    """The random-effects fit (``method``, ``k``, μ̂ and its normal-theory SE 1/√Σw, τ̂²) and
    per improvement, in the input's order: the BLUP ``shrunk``, its prediction SE
    ``shrunk_se`` and the weight λᵢ = τ²/(τ² + vᵢ) its own estimate keeps."""

    method: str
    k: int
    pooled_mean: float
    pooled_mean_se: float
    tau2: float
    shrunk: np.ndarray
    shrunk_se: np.ndarray
    shrinkage_weight: np.ndarray


def shrink(effects, variances, method: str = "dl") -> Shrinkage:
    """BLUPs of ``effects`` (estimates with sampling ``variances``) under the random-effects
    model with τ² by DerSimonian-Laird (``"dl"``) or Paule-Mandel (``"pm"``)."""
    y, v = check_effects(effects, variances, method, MIN_ITEMS)
    return shrink_given_tau2(y, v, between_study_variance(y, v, method), method)


def shrink_given_tau2(y: np.ndarray, v: np.ndarray, tau2: float, method: str) -> Shrinkage:
    """The BLUPs for checked arrays and a given τ² (``method`` names where τ² came from):
    rma's ``tau2=`` argument; the simulations use it with the true τ²."""
    weights = 1.0 / (v + tau2)
    mean = float(np.sum(weights * y) / np.sum(weights))
    mean_variance = 1.0 / float(np.sum(weights))
    keep = tau2 / (tau2 + v)
    return Shrinkage(
        method=method,
        k=len(y),
        pooled_mean=mean,
        pooled_mean_se=float(np.sqrt(mean_variance)),
        tau2=float(tau2),
        shrunk=keep * y + (1.0 - keep) * mean,
        shrunk_se=np.sqrt(keep * v + (1.0 - keep) ** 2 * mean_variance),
        shrinkage_weight=keep,
    )


def prediction_error_covariance(shrinkage: Shrinkage, variances) -> np.ndarray:
    """Cov(θ̂ − θ), k × k, for the BLUPs of ``shrinkage`` fitted to ``variances``.

    θ̂ = A y with A = B + (I − B) 1 wᵀ/Σw, B = diag(λ); y = θ + e, θ = μ1 + u. So
    θ̂ − θ = (A − I)u + A e (A1 = 1 cancels μ), and with Var u = τ²I, Var e = diag(v):
    Cov = τ²(A − I)(A − I)ᵀ + A diag(v) Aᵀ, which reduces to diag(λv) + (1 − λ)(1 − λ)ᵀ/Σw.
    The variance of a total Σ cᵢθ̂ᵢ around Σ cᵢθᵢ is cᵀ Cov c."""
    v = np.asarray(variances, dtype=float)
    if v.shape != shrinkage.shrinkage_weight.shape:
        raise ValueError("variances must be those the shrinkage was fitted to")
    keep = shrinkage.shrinkage_weight
    pulled = 1.0 - keep
    return np.diag(keep * v) + np.outer(pulled, pulled) * shrinkage.pooled_mean_se**2


def shrunk_total(shrinkage: Shrinkage, variances, weights) -> tuple[float, float]:
    """Σ cᵢθ̂ᵢ and the variance of its error around Σ cᵢθᵢ, cᵀ Cov c (`prediction_error_covariance`),
    for weights c: £ a year per unit of effect, 0 for an improvement the total leaves out."""
    c = np.asarray(weights, dtype=float)
    total = float(c @ shrinkage.shrunk)
    return total, float(c @ prediction_error_covariance(shrinkage, variances) @ c)


def tau2_estimation_variance(shrinkage: Shrinkage, effects, variances, weights) -> float:
    """What estimating τ² adds to the variance of a total Σ cᵢθ̂ᵢ: (dT/dτ²)² · Var(τ̂²), a
    first-order (delta-method) term in the spirit of Kackar & Harville (1984), added to
    `shrunk_total`'s variance for a band.

    dT/dτ² is taken at τ̂² on these data, Σ cᵢ[λᵢ'(yᵢ − μ̂) + (1 − λᵢ)μ̂'] with λᵢ' = vᵢwᵢ² and
    μ̂' = −Σwᵢ²(yᵢ − μ̂)/Σw: conditional on the data rather than its expectation, because the
    items a total counts are selected (approved on significance), so their yᵢ − μ̂ share a
    sign and the expectation's zero cross terms would understate it. Var(τ̂²) is the
    DerSimonian-Laird estimator's (before truncation at 0) at τ̂² (Biggerstaff & Tweedie 1997,
    Stat. Med. 16:753-768); for Paule-Mandel it is used as an approximation."""
    slope = float(
        np.asarray(weights, dtype=float) @ blup_tau2_slopes(shrinkage, effects, variances)
    )
    return slope**2 * dersimonian_laird_variance(variances, shrinkage.tau2)


def blup_tau2_slopes(shrinkage: Shrinkage, effects, variances) -> np.ndarray:
    """dθ̂ᵢ/dτ² at τ̂² for each BLUP: λᵢ'(yᵢ − μ̂) + (1 − λᵢ)μ̂' (`tau2_estimation_variance`),
    so that a total's τ²-term is (cᵀ slopes)² · Var(τ̂²) for any weights c."""
    y = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    w = 1.0 / (v + shrinkage.tau2)
    residual = y - shrinkage.pooled_mean
    mean_slope = -float(np.sum(w**2 * residual) / np.sum(w))
    return v * w**2 * residual + (1.0 - shrinkage.shrinkage_weight) * mean_slope


def dersimonian_laird_variance(variances, tau2: float) -> float:
    """Var(τ̂²) of the untruncated DerSimonian-Laird estimator when the true value is ``tau2``:
    Var(Q)/(S₁ − S₂/S₁)² with Var(Q) = 2(k − 1) + 4(S₁ − S₂/S₁)τ² + 2(S₂ − 2S₃/S₁ + S₂²/S₁²)τ⁴
    and S_r = Σvᵢ⁻ʳ (Biggerstaff & Tweedie 1997, eq. 8-9)."""
    w = 1.0 / np.asarray(variances, dtype=float)
    s1, s2, s3 = float(np.sum(w)), float(np.sum(w**2)), float(np.sum(w**3))
    scale = s1 - s2 / s1
    q_variance = (
        2.0 * (len(w) - 1)
        + 4.0 * scale * tau2
        + 2.0 * (s2 - 2.0 * s3 / s1 + s2**2 / s1**2) * tau2**2
    )
    return q_variance / scale**2
