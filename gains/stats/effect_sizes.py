"""Hedges' g: standardised effects for pooling across improvements measured in different units.

Vectorised over numpy arrays. Signs are raw here (after minus before); the callers multiply
by the metric's direction so that positive is better, which leaves the variance unchanged.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

# One standardiser per design (docs/STATISTICS.md §5), never chosen improvement by improvement:
# independent groups divide by the pooled SD of the two compared groups (SMD); designs that
# follow the same units or groups over time divide by the before-period SD (SMCR). Both are
# raw-score SDs, which is what lets a department pool them (Morris & DeShon 2002, Psychol.
# Methods 7:105-125) as long as an improvement does not change the spread.
STANDARDISERS = {"welch": "smd", "treatment_vs_control": "smd", "paired": "smcr", "did": "smcr"}
STANDARDISER_NAMES = {
    "smd": "SMD: the pooled SD of the two groups compared",
    "smcr": "SMCR: the before-period SD",
}


def hedges_correction(df) -> np.ndarray:
    """Exact small-sample correction J(m) = Γ(m/2) / (√(m/2) · Γ((m-1)/2)).

    Hedges (1981), J. Educ. Stat. 6:107-128; computed on the log scale as metafor's
    ``.cmicalc`` does so that large m does not overflow the gamma function. With m ≤ 1 there is
    nothing to correct with (J(1) = 0 would report g = 0.0 for any difference): NaN, so no g is
    reported and the improvement is never pooled.
    """
    m = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        j = np.exp(gammaln(m / 2.0) - 0.5 * np.log(m / 2.0) - gammaln((m - 1.0) / 2.0))
    return np.where(m > 1.0, j, np.nan)


def smd_independent(mean_1, mean_2, var_1, var_2, n_1, n_2) -> tuple[np.ndarray, np.ndarray]:
    """Hedges' g for two independent groups and its large-sample variance.

    As R ``metafor::escalc(measure="SMD", vtype="LS")``: d = (m1 - m2) / s_pooled,
    g = J(n1 + n2 - 2)·d, Var(g) = 1/n1 + 1/n2 + g² / (2(n1 + n2)).
    """
    n_1 = np.asarray(n_1, dtype=float)
    n_2 = np.asarray(n_2, dtype=float)
    df = n_1 + n_2 - 2.0
    pooled_sd = np.sqrt(((n_1 - 1.0) * var_1 + (n_2 - 1.0) * var_2) / df)
    g = hedges_correction(df) * _safe_divide(np.asarray(mean_1) - mean_2, pooled_sd)
    variance = 1.0 / n_1 + 1.0 / n_2 + g**2 / (2.0 * (n_1 + n_2))
    return g, variance


def smcr_paired(mean_change, sd_before, n, correlation) -> tuple[np.ndarray, np.ndarray]:
    """Standardised mean change with raw-score (pre-period SD) standardisation.

    As R ``metafor::escalc(measure="SMCR", m1i=after, m2i=before, sd1i=sd_before, ni, ri)``
    (Becker 1988; Morris 2008, Organ. Res. Methods 11:364-386):
    g = J(n - 1)·(m_after - m_before)/sd_before, Var(g) = 2(1 - r)/n + g²/(2n).
    ``mean_change`` is the mean of the units' differences, m_after - m_before without the
    rounding of two large means (values near 1e9 would lose the change's last digits).
    """
    n = np.asarray(n, dtype=float)
    g = hedges_correction(n - 1.0) * _safe_divide(np.asarray(mean_change), sd_before)
    variance = 2.0 * (1.0 - np.asarray(correlation, dtype=float)) / n + g**2 / (2.0 * n)
    return g, variance


def standardised_did(effect, var_effect, pooled_sd_before, df_before, n_before):
    """Hedges' g for a difference-in-differences, standardised by the pre-period SD.

    The SMCR idea extended to a control group (Morris 2008's d_ppc2 standardiser: the SD of
    the pre-period pooled over both groups, df = n_before - 2):
    g = J(df)·DiD / sd_pre, Var(g) = Var(DiD)/sd_pre² + g²/(2·n_before).
    With one group and equal SDs at both times the first term is SMCR's 2(1 - r)/n, so this
    reduces to ``escalc("SMCR")``.
    """
    g = hedges_correction(df_before) * _safe_divide(
        np.asarray(effect, dtype=float), pooled_sd_before
    )
    sd = np.asarray(pooled_sd_before, dtype=float)
    variance = _safe_divide(np.asarray(var_effect, dtype=float), sd**2) + g**2 / (
        2.0 * np.asarray(n_before, dtype=float)
    )
    return g, variance


def correlation_before_after(variance_before, variance_difference, covariance_difference_before):
    """Correlation of before and after unit means from before/difference (co)variances.

    With a = b + d: Var(a) = Var(b) + Var(d) + 2·Cov(d, b) and Cov(b, a) = Var(b) + Cov(d, b).
    NaN when either SD is zero to machine precision (no correlation is defined), so the raw
    and aggregate paths agree on degenerate data.
    """
    var_b = np.asarray(variance_before, dtype=float)
    var_d = np.asarray(variance_difference, dtype=float)
    cov_db = np.asarray(covariance_difference_before, dtype=float)
    var_a = var_b + var_d + 2.0 * cov_db
    scale = np.maximum(var_b, var_d)
    defined = (var_b > 1e-12 * scale) & (var_a > 1e-12 * scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = (var_b + cov_db) / np.sqrt(np.where(defined, var_b * var_a, 1.0))
    return np.where(defined, np.clip(correlation, -1.0, 1.0), np.nan)


def _safe_divide(numerator, denominator) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan
        )
