"""The common scale on which one idea's results, from teams that measure it differently, can
be pooled (docs/STATISTICS.md "One idea, many places"; decision 0047).

Relative change (the effect ÷ |the counterfactual mean|, `stats.relative_change`) is chosen
when every result has one: it is unit-free, so "cut waiting by 20%" reads the same for a
team measuring minutes and one measuring days, and it keeps the people reading it in their
own terms. When any result lacks one (its counterfactual's interval includes zero), the
results fall back to Hedges' g (`stats.effect_sizes`), the department pooling's scale, which
needs a standard deviation rather than a baseline. Time-series effects have no g comparable
with the others' (weekly means, `services.dashboards.department.pool_department`), so on the
g scale they are left out and counted.

Both are signed so that positive is better: relative change here is turned by the metric's
direction, as the estimate's `gain` and `hedges_g` already are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RELATIVE = "relative"
HEDGES_G = "hedges_g"
SCALE_NAMES = {RELATIVE: "relative change", HEDGES_G: "Hedges' g"}


@dataclass(frozen=True)
class ScaledResult:
    """One result's figures, as stored with its estimate; None where it has none."""

    key: int
    relative: float | None  # relative change, signed as the effect (after minus before)
    relative_se: float | None
    higher_is_better: bool  # the metric's direction: turns the relative change round
    hedges_g: float | None  # signed so positive is better already
    hedges_g_variance: float | None
    time_series: bool


@dataclass(frozen=True)
class OnCommonScale:
    """The chosen scale, the results placed on it (key, effect, variance) and the keys of the
    results left out because they have no figure on it."""

    scale: str
    placed: list[tuple[int, float, float]]
    left_out: list[int]


def _usable(effect: float | None, variance: float | None) -> bool:
    return effect is not None and variance is not None and variance > 0


def common_scale(results: Sequence[ScaledResult]) -> OnCommonScale:
    """Relative change if every result has a usable one, else Hedges' g (module docstring)."""
    if results and all(_usable(r.relative, r.relative_se) for r in results):
        placed = [
            (r.key, r.relative if r.higher_is_better else -r.relative, r.relative_se**2)
            for r in results
        ]
        return OnCommonScale(RELATIVE, placed, [])
    placed, left_out = [], []
    for r in results:
        if not r.time_series and _usable(r.hedges_g, r.hedges_g_variance):
            placed.append((r.key, r.hedges_g, r.hedges_g_variance))
        else:
            left_out.append(r.key)
    return OnCommonScale(HEDGES_G, placed, left_out)
