"""Benjamini-Hochberg false-discovery-rate adjustment across a department's submissions."""

from __future__ import annotations

import numpy as np


def benjamini_hochberg(p_values) -> np.ndarray:
    """Adjusted p-values as R ``p.adjust(p, method="BH")`` (Benjamini & Hochberg 1995, JRSS B
    57:289-300): p₍ᵢ₎·m/i made monotone from the largest down, capped at 1.

    Missing p-values (NaN/None) stay missing and do not count towards m, as in R.
    """
    p = np.asarray([np.nan if value is None else value for value in p_values], dtype=float)
    present = ~np.isnan(p)
    if np.any((p[present] < 0) | (p[present] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    observed = p[present]
    m = len(observed)
    order = np.argsort(observed)[::-1]  # largest first
    ranks = np.arange(m, 0, -1)
    adjusted_sorted = np.minimum.accumulate(observed[order] * m / ranks)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(adjusted_sorted, 1.0)
    result = np.full(len(p), np.nan)
    result[present] = adjusted
    return result
