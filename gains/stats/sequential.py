"""The always-valid interval shown while an improvement is running: a confidence sequence.

A fixed-sample 95 % CI is valid once, at a sample size chosen in advance. A team that looks
every week and stops as soon as the CI excludes zero finds "effects" far more often than
5 % of the time (simulated on this engine: 0.12 with 4 looks, 0.175 with 20). A confidence
sequence (CS) covers the true effect at *every* look at once, with probability ≥ the level,
so looking as often as one likes is safe.

Method: the asymptotic confidence sequence of Waudby-Smith, Arnold, Wu, Howard & Ramdas,
"Time-uniform central limit theory and asymptotic confidence sequences" (arXiv:2103.06476,
v7 2023), eq. (9), the two-sided Gaussian-mixture boundary:

    θ̂_n ± σ̂_n · √( 2(nρ² + 1) / (n²ρ²) · log(√(nρ² + 1) / α) ),   α = 1 − level,

where σ̂_n = SE_n · √n is the per-observation SD of the estimator. Written with the SE the
estimators already report, with x = nρ²:

    half-width = SE · √( 2(x + 1)/x · log(√(x + 1)/α) ).

ρ fixes where the sequence is tightest. Their appendix (eq. 161 in v7) gives the ρ that
minimises the width at a chosen n_opt: ρ² = (−2 log α + log(1 − 2 log α)) / n_opt, so
x = c · n / n_opt with c = −2 log α + log(1 − 2 log α) (7.94 at α = 0.05). At n = n_opt the
half-width is 3.04 SE against the fixed-sample 1.96 SE. The guarantee holds for any ρ fixed
in advance; a ρ chosen from the data would void it, so n_opt comes from the plan, which
locks when the improvement starts (`services.improvements.locking`), and a fixed default
otherwise.

GrowthBook's gbstats computes the same thing for its sequential tests (packages/stats/
gbstats/frequentist/tests.py: `sequential_rho`, `sequential_interval_halfwidth`, with
n = n_control + n_treatment and s² = SE²·n). Written here from the paper; the test checks
it against values computed by hand.

What n is, per design (the independent samples the effect compares, `sample_sizes`):
Welch before/after, rows before and after; treatment vs control, rows in each group;
paired, units measured in both phases (one sample of differences); difference-in-differences
on rows, the rows of each of the four cells; by unit (change scores, or ANCOVA when
randomised), the units of each group; rows clustered by unit, the units in each of the four
cells. n is their sum and n_opt the planned sample size (per phase and group) times their
number; only n / n_opt enters the width. Interrupted time series: not defined (`None`): its
effect is the mean over the post-go-live weeks observed so far, so the quantity estimated
changes with each new week, and its errors are autocorrelated weekly means, not the
independent observations the theory counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Below this many rows (or units) in any compared sample the SE is itself too uncertain for
# a boundary built on the normal limit. Simulated at no effect, 2,000 runs of 20 looks with the
# before phase complete: looking from 3 after rows on, the CS excluded zero in 11 % of runs
# (normal data) and 16 % (lognormal); from 5 rows, 4 % and 8 %; from 10, 1 % and 3 %. The
# interval is null until then (docs/STATISTICS.md §3.7).
MIN_PER_SAMPLE = 10
# The planned size per sample when the plan gives none: where the sequence is tightest. A
# hundred measurements a phase is the size of a typical service improvement (64 a group
# detect half an SD with 80 % power); like a planned size, it is fixed before any data.
DEFAULT_PLANNED_PER_SAMPLE = 100


def tightest_at_constant(alpha: float) -> float:
    """c = −2 log α + log(1 − 2 log α): ρ² = c / n_opt (Waudby-Smith et al., eq. 161 in v7)."""
    log_alpha = np.log(alpha)
    return float(-2.0 * log_alpha + np.log(1.0 - 2.0 * log_alpha))


def confidence_sequence(effect, se, n, level: float, planned_n) -> tuple[np.ndarray, np.ndarray]:
    """The asymptotic confidence sequence at sample size ``n``, tightest at ``planned_n``.

    ``effect`` and ``se`` are the estimate and its standard error, ``n`` the sample size in
    the design's own count (see the module docstring), ``level`` the coverage over every
    look together. Vectorised: any argument may be an array. Returns (low, high).
    """
    alpha = 1.0 - level
    effect = np.asarray(effect, dtype=float)
    se = np.asarray(se, dtype=float)
    scaled_n = tightest_at_constant(alpha) * np.asarray(n, dtype=float) / planned_n
    with np.errstate(divide="ignore", invalid="ignore"):
        multiplier = np.sqrt(
            2.0 * (scaled_n + 1.0) / scaled_n * np.log(np.sqrt(scaled_n + 1.0) / alpha)
        )
    half_width = multiplier * se
    return effect - half_width, effect + half_width


def sequential_interval(
    effect,
    se,
    sample_sizes: Sequence,
    level: float,
    planned_sample_size=None,
) -> tuple[np.ndarray, np.ndarray]:
    """The live estimate's always-valid interval, or NaN where it is not defined.

    ``sample_sizes``: the rows (or units) of each independent sample the design compares,
    each a number or an array (one element per improvement); empty for a design without a
    confidence sequence (time series). ``planned_sample_size``: the plan's size per phase and
    group (None or NaN: `DEFAULT_PLANNED_PER_SAMPLE`). NaN also while a sample has fewer
    than `MIN_PER_SAMPLE`.
    """
    effect = np.asarray(effect, dtype=float)
    if not len(sample_sizes):
        missing = np.full(np.shape(effect), np.nan)
        return missing, missing.copy()
    sizes = [np.asarray(size, dtype=float) for size in sample_sizes]
    planned = np.asarray(np.nan if planned_sample_size is None else planned_sample_size, float)
    planned = np.where(np.isnan(planned), DEFAULT_PLANNED_PER_SAMPLE, planned)
    low, high = confidence_sequence(effect, se, sum(sizes), level, planned * len(sizes))
    defined = np.minimum.reduce(sizes) >= MIN_PER_SAMPLE
    return np.where(defined, low, np.nan), np.where(defined, high, np.nan)
