"""XmR (individuals and moving range) chart with the special-cause rules NHS England's
"Making Data Count" uses (Wheeler, *Understanding Variation*, 1993; NHS England/Improvement,
*Making Data Count*, 2019).

Limits come from the baseline (pre-go-live) points: mean ± 2.66 · mean moving range, where
2.66 = 3/d₂ with d₂ = 1.128 for ranges of two points. Optional screening (on by default, as
Making Data Count does) drops baseline moving ranges above the upper range limit
3.267 · mean moving range (D₄ for n = 2) and recomputes the mean moving range once, so one
spike does not inflate the limits (skipped if it would leave no variation at all). A baseline
without variation cannot set limits and is refused.

Rules, applied to every point against the baseline limits:
* ``outside_limits``: above the upper or below the lower process limit;
* ``shift``: 7 or more consecutive points on the same side of the mean (a point on the mean
  breaks the run);
* ``trend``: 6 or more consecutive points each higher (or each lower) than the one before
  (a repeated value breaks the run);
* ``two_of_three_beyond_two_sigma``: 2 of 3 consecutive points beyond two sigma (two thirds
  of the way to a limit) on the same side; the points beyond are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gains.stats.assemble import StatsInputError
from gains.stats.timeseries import weekly_means

LIMIT_FACTOR = 2.66  # 3 / d2, d2 = 1.128
UPPER_RANGE_FACTOR = 3.267  # D4 for subgroups of two
SHIFT_RUN = 7
TREND_RUN = 6
MIN_BASELINE_POINTS = 2


@dataclass(frozen=True)
class Signal:
    """A point (0-based position in the series) flagged by a special-cause rule."""

    index: int
    rule: str


@dataclass(frozen=True)
class XmrChart:
    """Centre line, process limits, the moving-range basis and the signals."""

    mean: float
    upl: float
    lpl: float
    mean_moving_range: float
    n_baseline: int
    n_moving_ranges_screened_out: int
    signals: tuple[Signal, ...]


def xmr_chart(values, baseline=None, screen: bool = True) -> XmrChart:
    """XmR chart of ``values`` in time order; ``baseline`` is a boolean mask of the pre-go-live
    points that set the limits (default: all points)."""
    x = np.asarray(values, dtype=float)
    mask = np.ones(len(x), dtype=bool) if baseline is None else np.asarray(baseline, dtype=bool)
    if len(mask) != len(x) or not np.all(np.isfinite(x)):
        raise StatsInputError("values must be finite numbers, with one baseline flag each")
    base = x[mask]
    if len(base) < MIN_BASELINE_POINTS:
        raise StatsInputError(f"an XmR chart needs at least {MIN_BASELINE_POINTS} baseline points")
    mean = float(base.mean())
    mean_mr, n_screened = _mean_moving_range(base, screen)
    if not mean_mr > 0:
        raise StatsInputError("the baseline points do not vary: process limits cannot be set")
    half_width = LIMIT_FACTOR * mean_mr
    return XmrChart(
        mean=mean,
        upl=mean + half_width,
        lpl=mean - half_width,
        mean_moving_range=mean_mr,
        n_baseline=len(base),
        n_moving_ranges_screened_out=n_screened,
        signals=tuple(_signals(x, mean, half_width)),
    )


def _mean_moving_range(base: np.ndarray, screen: bool) -> tuple[float, int]:
    moving_ranges = np.abs(np.diff(base))
    mean_mr = float(moving_ranges.mean())
    if not screen:
        return mean_mr, 0
    kept = moving_ranges[moving_ranges <= UPPER_RANGE_FACTOR * mean_mr]
    if not kept.mean() > 0:
        return mean_mr, 0  # screening would leave no variation at all: keep every range
    return float(kept.mean()), len(moving_ranges) - len(kept)


def _signals(x: np.ndarray, mean: float, half_width: float) -> list[Signal]:
    flagged = {
        "outside_limits": np.flatnonzero(np.abs(x - mean) > half_width),
        "shift": _runs(np.sign(x - mean), SHIFT_RUN),
        "trend": _runs(np.concatenate([[0.0], np.sign(np.diff(x))]), TREND_RUN - 1, extend_back=1),
        "two_of_three_beyond_two_sigma": _two_of_three(x, mean, 2.0 / 3.0 * half_width),
    }
    signals = [Signal(int(i), rule) for rule, indices in flagged.items() for i in indices]
    return sorted(signals, key=lambda s: (s.index, s.rule))


def _runs(signs: np.ndarray, min_length: int, extend_back: int = 0) -> np.ndarray:
    """Indices in runs of at least ``min_length`` equal non-zero signs; ``extend_back`` also
    flags the points before a run (a run of 5 rises spans 6 points)."""
    flagged: list[int] = []
    start = 0
    for i in range(1, len(signs) + 1):
        if i == len(signs) or signs[i] != signs[start]:
            if signs[start] != 0 and i - start >= min_length:
                flagged.extend(range(max(start - extend_back, 0), i))
            start = i
    return np.array(sorted(set(flagged)), dtype=int)


def _two_of_three(x: np.ndarray, mean: float, two_sigma: float) -> np.ndarray:
    flagged: set[int] = set()
    for side in (1.0, -1.0):
        beyond = side * (x - mean) > two_sigma
        for start in range(len(x) - 2):
            window = np.arange(start, start + 3)
            if beyond[window].sum() >= 2:
                flagged.update(int(i) for i in window[beyond[window]])
    return np.array(sorted(flagged), dtype=int)


def xmr_chart_of_weekly_means(frame, screen: bool = True) -> XmrChart:
    """XmR chart of a time-series improvement's weekly means (as the ITS uses them), limits
    from the pre-go-live weeks. ``frame`` is a cleaned measurements frame with dates."""
    weekly = weekly_means(frame)
    return xmr_chart(weekly["value"], baseline=weekly["after"] == 0, screen=screen)
