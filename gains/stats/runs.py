"""Run chart: the median of the baseline points and Anhøj's two run rules, as NHS England's
*Making Data Count* (2019) and the R package qicharts2 (Anhøj, `runs.analysis`) apply them.

The centre line is the median of the baseline (pre-go-live) points, carried on into the
after period (qicharts2's ``freeze``), and every point is tested against it:

* points exactly on the median are dropped: they neither make nor break a run;
* the remaining ``n_useful`` points form runs (maximal stretches on one side);
* **unusually long run**: the longest run is longer than ``round(log2(n_useful)) + 3``
  (Schilling, *The surprising predictability of long runs*, Mathematics Magazine 85, 2012);
* **too few crossings**: the number of crossings (runs − 1) is below the 5th percentile of
  Binomial(n_useful − 1, ½), R's ``qbinom(0.05, n_useful - 1, 0.5)`` (Chen, *Statistical
  Methods in Medical Research* 2010). Anhøj & Olesen (PLoS ONE 9(11): e113825, 2014) show the
  pair has the best balance of sensitivity and specificity of the run rules in use.

Either rule signals non-random variation: here, most often, a change at go-live. The rules
are tested against base R (tests/reference/runs.R).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from gains.stats.assemble import StatsInputError

# Below this many baseline points the median is drawn but is a shaky yardstick: Anhøj's
# published table of limits starts at 10 useful points, and Perla, Provost & Murray (BMJ
# Quality & Safety 20, 2011) advise at least 10 points for the run rules.
ADVISED_BASELINE_POINTS = 10
CROSSINGS_TAIL = 0.05


@dataclass(frozen=True)
class RunChart:
    """The baseline median and what the run rules found (positions are 0-based)."""

    median: float
    n_baseline: int
    n_useful: int  # points not on the median
    longest_run: int
    longest_run_limit: int  # a run longer than this signals
    crossings: int
    crossings_limit: int  # fewer crossings than this signal
    long_run_points: tuple[int, ...]  # the points in runs longer than the limit

    @property
    def unusually_long_run(self) -> bool:
        return self.longest_run > self.longest_run_limit

    @property
    def too_few_crossings(self) -> bool:
        return self.crossings < self.crossings_limit

    @property
    def signals(self) -> bool:
        return self.unusually_long_run or self.too_few_crossings

    @property
    def short_baseline(self) -> bool:
        return self.n_baseline < ADVISED_BASELINE_POINTS


def longest_run_limit(n_useful: int) -> int:
    """A run longer than this is unusual among ``n_useful`` points (Schilling 2012)."""
    return round(math.log2(n_useful)) + 3 if n_useful > 0 else 0


def crossings_limit(n_useful: int) -> int:
    """Fewer crossings than this are unusual: qbinom(0.05, n_useful − 1, ½) (Chen 2010)."""
    from scipy.stats import binom  # here, not at the top: the app starts without scipy.stats

    return int(binom.ppf(CROSSINGS_TAIL, max(n_useful - 1, 0), 0.5))


def run_chart(values, baseline=None) -> RunChart:
    """Run chart of ``values`` in time order; ``baseline`` is a boolean mask of the points
    whose median is the centre line (default: all points)."""
    x = np.asarray(values, dtype=float)
    mask = np.ones(len(x), dtype=bool) if baseline is None else np.asarray(baseline, dtype=bool)
    if len(mask) != len(x) or not np.all(np.isfinite(x)):
        raise StatsInputError("values must be finite numbers, with one baseline flag each")
    if not mask.any():
        raise StatsInputError("a run chart needs at least one baseline point")
    median = float(np.median(x[mask]))
    sides = np.sign(x - median)
    useful = np.flatnonzero(sides != 0)
    runs = _runs(sides[useful])
    n_useful = len(useful)
    limit = longest_run_limit(n_useful)
    long_points = [
        int(useful[i]) for start, end in runs if end - start > limit for i in range(start, end)
    ]
    return RunChart(
        median=median,
        n_baseline=int(mask.sum()),
        n_useful=n_useful,
        longest_run=max((end - start for start, end in runs), default=0),
        longest_run_limit=limit,
        crossings=max(len(runs) - 1, 0),
        crossings_limit=crossings_limit(n_useful),
        long_run_points=tuple(long_points),
    )


def _runs(sides: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each maximal stretch of equal signs."""
    if len(sides) == 0:
        return []
    breaks = np.flatnonzero(np.diff(sides) != 0) + 1
    edges = [0, *breaks.tolist(), len(sides)]
    return list(pairwise(edges))
