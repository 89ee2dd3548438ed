"""Shrunk savings: each validated saving moved by its effect's empirical-Bayes BLUP, with the
prediction errors' covariance in pence² for a department's total (docs/STATISTICS.md §18,
decision 0035).

A saving is linear in the gain and Hedges' g is the gain over a fixed standardiser, so pence
per unit of g, cᵢ = savingᵢ / gᵢ, turns the shrunk effect θ̂ᵢ (`shrinkage.shrink`, fitted to
the department's whole pool) into pounds: shrunk savingᵢ = cᵢ θ̂ᵢ. A total Σcᵢθ̂ᵢ has the
error variance cᵀ Cov c (`shrinkage.prediction_error_covariance`) plus the τ̂²-estimation
term (`shrinkage.tau2_estimation_variance`). Both are a diagonal and two rank-one terms:

    Cov(cθ̂) = diag(c²λv) + (c(1 − λ)·SE(μ̂))(…)ᵀ + (c·dθ̂/dτ²·SD(τ̂²))(…)ᵀ,

returned as a `money.LowRankCovariance` so `money.ranged_total` combines it with the input
ranges without a k × k matrix. Items that cannot be shrunk (no g in the pool, |g| too small
to divide by, fewer than `MIN_POOL` in the pool) keep their saving and its own SE², and
enter no rank-one term.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gains.stats.money import LowRankCovariance
from gains.stats.shrinkage import (
    blup_tau2_slopes,
    dersimonian_laird_variance,
    shrink,
)

# τ² needs two effects to be estimated at all (with one, metafor fits τ² = 0 and nothing moves).
MIN_POOL = 2
# Below a hundredth of a standard deviation a g is noise around zero: dividing a saving by it
# would turn a tiny effect's rounding into an arbitrarily large £ per unit of g.
MIN_ABS_G = 0.01


@dataclass(frozen=True)
class ShrunkSavings:
    """Per item, in the order given: the saving after shrinkage (pence, float), whether it was
    shrunk, and the department's statistical covariance of the shrunk savings (pence²)."""

    saving_pence: np.ndarray
    shrunk: np.ndarray  # bool
    covariance: LowRankCovariance
    pool_size: int
    tau2: float | None
    pooled_mean: float | None

    @property
    def n_unshrunk(self) -> int:
        return int(np.size(self.shrunk) - np.count_nonzero(self.shrunk))


def shrink_savings(
    pool_g,
    pool_variance,
    pool_index,
    saving_pence,
    se_pence,
    method: str = "dl",
) -> ShrunkSavings:
    """Shrink one department's savings toward its pool.

    ``pool_g``, ``pool_variance``: every pooled improvement's Hedges' g (signed the gain's
    way) and its sampling variance. Per item to shrink: ``pool_index`` its position in the
    pool (−1 when not in it), ``saving_pence`` and ``se_pence`` its raw saving and SE. The
    pool is fitted once (DerSimonian-Laird by default, as decision 0033 chose for money).
    """
    saving = np.asarray(saving_pence, dtype=float)
    se = np.asarray(se_pence, dtype=float)
    index = np.asarray(pool_index, dtype=np.int64)
    g = np.asarray(pool_g, dtype=float)
    v = np.asarray(pool_variance, dtype=float)
    diagonal = se**2
    factors = np.zeros((len(saving), 2))
    shrunk_saving = saving.copy()
    if len(g) < MIN_POOL:
        done = np.zeros(len(saving), dtype=bool)
        return ShrunkSavings(
            shrunk_saving, done, LowRankCovariance(diagonal, factors), len(g), None, None
        )
    fit = shrink(g, v, method)
    in_pool = index >= 0
    item_g = np.where(in_pool, g[np.clip(index, 0, None)], np.nan)
    done = in_pool & (np.abs(np.nan_to_num(item_g)) >= MIN_ABS_G)
    rows = index[done]
    per_g = saving[done] / item_g[done]  # pence a year per unit of g
    shrunk_saving[done] = per_g * fit.shrunk[rows]
    keep = fit.shrinkage_weight[rows]
    diagonal[done] = per_g**2 * keep * v[rows]
    factors[done, 0] = per_g * (1.0 - keep) * fit.pooled_mean_se
    slopes = blup_tau2_slopes(fit, g, v)[rows]
    factors[done, 1] = per_g * slopes * np.sqrt(dersimonian_laird_variance(v, fit.tau2))
    return ShrunkSavings(
        shrunk_saving,
        done,
        LowRankCovariance(diagonal, factors),
        len(g),
        fit.tau2,
        fit.pooled_mean,
    )


def total_variance(covariance: LowRankCovariance, include=None) -> float:
    """The variance (pence²) of the sum of the items ``include`` (a bool mask; all if None)."""
    mask = np.ones(len(covariance.diagonal), dtype=bool) if include is None else include
    projected = covariance.factors[mask].sum(axis=0)
    return float(covariance.diagonal[mask].sum() + projected @ projected)
