"""The named alternatives the app is compared with on the same replications.

Two kinds: the methods the app used before issue 19 (kept here so that the before-and-after
comparison survives their replacement in `gains/stats/`), and textbook references. Each
returns the 95 % interval (low, high) for the effect; plain numpy and scipy.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

LEVEL = 0.95
Z = float(stats.norm.ppf(0.5 + LEVEL / 2))


def t_interval(estimate: float, se: float, df: float) -> tuple[float, float]:
    if not (se > 0 and df > 0):
        return math.nan, math.nan
    half = float(stats.t.ppf(0.5 + LEVEL / 2, df)) * se
    return estimate - half, estimate + half


# Two groups ---------------------------------------------------------------------------------


def welch(first: np.ndarray, second: np.ndarray) -> tuple[float, float]:
    """Welch's t interval for mean(first) - mean(second) (Welch 1947)."""
    v1, v2 = first.var(ddof=1) / len(first), second.var(ddof=1) / len(second)
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (len(first) - 1) + v2**2 / (len(second) - 1))
    return t_interval(first.mean() - second.mean(), se, df)


def student(first: np.ndarray, second: np.ndarray) -> tuple[float, float]:
    """Student's equal-variance t interval (the textbook alternative to Welch)."""
    n1, n2 = len(first), len(second)
    pooled = ((n1 - 1) * first.var(ddof=1) + (n2 - 1) * second.var(ddof=1)) / (n1 + n2 - 2)
    return t_interval(
        first.mean() - second.mean(), math.sqrt(pooled * (1 / n1 + 1 / n2)), n1 + n2 - 2
    )


# Difference-in-differences ------------------------------------------------------------------

OLD_DID_MIN_CLUSTERS = 30  # the rule before issue 19 (Cameron & Miller 2015's rule of thumb)


def did_cells_hc3(cells: list[np.ndarray]) -> tuple[float, float]:
    """OLS `value ~ after * treated` with HC3, t(N - 4): the saturated model's closed form,
    Var(DiD) = Σ s²_c / (n_c - 1) (docs/STATISTICS.md §3.4). ``cells``: TB, TA, CB, CA."""
    tb, ta, cb, ca = cells
    effect = (ta.mean() - tb.mean()) - (ca.mean() - cb.mean())
    variance = sum(cell.var(ddof=1) / (len(cell) - 1) for cell in cells)
    return t_interval(effect, math.sqrt(variance), sum(map(len, cells)) - 4.0)


def did_cells_classical(cells: list[np.ndarray]) -> tuple[float, float]:
    """OLS `value ~ after * treated` with the classical (equal-variance) SE, t(N - 4)."""
    tb, ta, cb, ca = cells
    effect = (ta.mean() - tb.mean()) - (ca.mean() - cb.mean())
    n = sum(map(len, cells))
    sigma2 = sum((len(cell) - 1) * cell.var(ddof=1) for cell in cells) / (n - 4)
    return t_interval(effect, math.sqrt(sigma2 * sum(1 / len(cell) for cell in cells)), n - 4.0)


def old_did_repeated_units(
    value: np.ndarray, after: np.ndarray, treated: np.ndarray, unit: np.ndarray
) -> tuple[float, float]:
    """The DiD of Gains before issue 19 when units repeat: with 30 units or more, rows with the
    cluster-robust CR1 SE by unit and t(G - 1) (Stata `vce(cluster)`); with fewer, each unit's
    mean per phase as an independent row, HC3, t(N - 4) (the before and after means of one
    unit treated as unrelated)."""
    n_units = len(np.unique(unit))
    if n_units >= OLD_DID_MIN_CLUSTERS:
        return _clustered_cr1(value, after, treated, unit)
    key = (unit * 2 + after).astype(np.int64)
    sums = np.bincount(key, weights=value)
    counts = np.bincount(key)
    present = counts > 0
    means = sums[present] / counts[present]
    unit_after = np.flatnonzero(present) % 2
    unit_treated = np.zeros(len(counts))
    unit_treated[key] = treated
    unit_treated = unit_treated[present]
    cells = [
        means[(unit_treated == t) & (unit_after == a)] for t, a in ((1, 0), (1, 1), (0, 0), (0, 1))
    ]
    return did_cells_hc3(cells)


def _clustered_cr1(value, after, treated, unit) -> tuple[float, float]:
    x = np.column_stack([np.ones_like(value), after, treated, after * treated])
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ value
    scores = x * (value - x @ beta)[:, None]
    groups = np.unique(unit, return_inverse=True)[1]
    per_cluster = np.zeros((groups.max() + 1, 4))
    np.add.at(per_cluster, groups, scores)
    g, n = len(per_cluster), len(value)
    factor = g / (g - 1) * (n - 1) / (n - 4)
    covariance = factor * bread @ (per_cluster.T @ per_cluster) @ bread
    return t_interval(beta[3], math.sqrt(covariance[3, 3]), g - 1.0)


def ancova(after: np.ndarray, before: np.ndarray, treated: np.ndarray) -> tuple[float, float]:
    """ANCOVA: OLS `after ~ treated + before` on one row per unit, classical SE, t(n - 3)
    (the textbook analysis of a randomised trial with a baseline; CUPED's idea)."""
    x = np.column_stack([np.ones_like(after), treated, before])
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ after
    residuals = after - x @ beta
    sigma2 = residuals @ residuals / (len(after) - 3)
    return t_interval(beta[1], math.sqrt(sigma2 * bread[1, 1]), len(after) - 3.0)


# Interrupted time series --------------------------------------------------------------------


def its_design(n_before: int, n_after: int) -> tuple[np.ndarray, np.ndarray]:
    """Segmented-regression design (1, t, after, t since go-live) and the headline contrast
    (level change + slope change × mean weeks since go-live), as the app defines it."""
    t = np.arange(n_before + n_after, dtype=float)
    after = (t >= n_before).astype(float)
    since = np.where(after == 1, t - n_before, 0.0)
    contrast = np.array([0.0, 0.0, 1.0, since[n_before:].mean()])
    return np.column_stack([np.ones_like(t), t, after, since]), contrast


def its_intervals(y: np.ndarray, x: np.ndarray, contrast: np.ndarray) -> dict[str, tuple]:
    """OLS with the classical SE, and with Newey-West as Stata's `newey` (the ITS of Gains
    before issue 19: Bartlett weights, L = floor(4(T/100)^(2/9)), T/(T - 4), t(T - 4))."""
    n, k = x.shape
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    residuals = y - x @ beta
    estimate = float(contrast @ beta)
    df = n - k
    classical = residuals @ residuals / df * (contrast @ bread @ contrast)
    lags = math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))
    scores = x * residuals[:, None]
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        gamma = scores[lag:].T @ scores[:-lag]
        meat += (1.0 - lag / (lags + 1.0)) * (gamma + gamma.T)
    hac = n / df * (bread @ meat @ bread)
    return {
        "classical": t_interval(estimate, math.sqrt(classical), df),
        "newey": t_interval(estimate, math.sqrt(contrast @ hac @ contrast), df),
    }


# Pooling ------------------------------------------------------------------------------------


def pooled_intervals(y: np.ndarray, v: np.ndarray, tau2: float) -> dict[str, tuple]:
    """The random-effects mean's normal CI (metafor `test="z"`, the CI of Gains before issue
    19) and the Hartung-Knapp-Sidik-Jonkman CI (metafor `test="knha"`: t(k - 1) with the
    weighted residual variance; Hartung & Knapp 2001, Sidik & Jonkman 2002), for one τ²."""
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    se_z = math.sqrt(1.0 / np.sum(w))
    k = len(y)
    se_knha = math.sqrt(float(np.sum(w * (y - mu) ** 2)) / ((k - 1) * np.sum(w)))
    return {"z": (mu - Z * se_z, mu + Z * se_z), "knha": t_interval(mu, se_knha, k - 1.0)}


# Benjamini-Hochberg over a year -------------------------------------------------------------


def bh_frozen_at_each_approval(p_in_order: np.ndarray, adjust, alpha: float) -> np.ndarray:
    """Each submission decided when it is approved, with BH over the family so far (every
    submission of the year up to it), and never revisited: the rule before issue 19."""
    return np.array([adjust(p_in_order[: j + 1])[j] <= alpha for j in range(len(p_in_order))])
