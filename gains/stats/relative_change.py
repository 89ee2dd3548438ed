"""Relative change = effect ÷ |counterfactual mean|, with a delta-method standard error.

Dividing by the magnitude keeps the ratio's sign the effect's: a mean rising from −20 to −15 is
a change of +5, +25 %, not −25 %. Since |c| = ±c, the variance is the same as for e / c. For
R = e / c with Var(e), Var(c) and Cov(e, c) taken from the model's covariance matrix,
the first-order (delta-method) variance is

    Var(R) ≈ Var(e)/c² + e²·Var(c)/c⁴ - 2·e·Cov(e, c)/c³

(Casella & Berger, *Statistical Inference*, 2nd ed., §5.5.4). The ratio is meaningless when the
denominator could be zero, so when the counterfactual's own CI includes 0 every relative
figure is NaN (``None`` in results) and the caller adds the
``denominator_ci_includes_zero`` warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Relative to the size of its terms, a variance this small is what cancellation leaves of 0.
ROUNDING_NOISE = 1e-12


@dataclass(frozen=True)
class RelativeChange:
    """Ratio, delta-method SE, CI and whether the denominator's CI includes 0 (arrays)."""

    ratio: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    denominator_ci_includes_zero: np.ndarray


def relative_change(
    effect, counterfactual, var_effect, var_counterfactual, cov_effect_counterfactual, crit
) -> RelativeChange:
    """Delta-method relative change; CI ``R ± crit · SE(R)`` with the effect's critical value.

    Using the effect's own t critical value (rather than the normal quantile) keeps the
    relative CI consistent with, and slightly more cautious than, the asymptotic delta method.
    Vectorised over numpy arrays.
    """
    e = np.asarray(effect, dtype=float)
    c = np.asarray(counterfactual, dtype=float)
    var_c = np.asarray(var_counterfactual, dtype=float)
    half_width_c = crit * np.sqrt(var_c)
    includes_zero = (c - half_width_c <= 0.0) & (c + half_width_c >= 0.0)
    safe_c = np.where(includes_zero | (c == 0.0), np.nan, c)
    # Degenerate denominators (tiny or excluded) yield NaN by design, not a floating-point alarm.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = e / np.abs(safe_c)
        terms = (
            np.asarray(var_effect, dtype=float) / safe_c**2,
            e**2 * var_c / safe_c**4,
            -2.0 * e * np.asarray(cov_effect_counterfactual, dtype=float) / safe_c**3,
        )
        variance = terms[0] + terms[1] + terms[2]
        # When the terms cancel exactly (no variation left), what remains is rounding noise
        # whose size depends on the order of the arithmetic: from a model's covariance
        # matrix it may come out 0, from sufficient statistics 1e-17. Either is zero.
        scale = np.abs(terms[0]) + np.abs(terms[1]) + np.abs(terms[2])
        variance = np.where(variance <= ROUNDING_NOISE * scale, 0.0, variance)
        se = np.sqrt(variance)
    return RelativeChange(
        ratio=ratio,
        se=se,
        ci_low=ratio - crit * se,
        ci_high=ratio + crit * se,
        denominator_ci_includes_zero=includes_zero,
    )
