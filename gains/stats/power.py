"""Planning: power, sample size and minimum detectable effect (MDE) of a t test.

The noncentral t of ``statsmodels.stats.power.TTestIndPower`` (two-sided, both rejection
tails counted), computed by `inference.power_for_effect`, the one power formula of Gains.
For two equal groups it matches R ``power.t.test(..., type="two.sample", strict=TRUE)``; R's
default ``strict=FALSE`` ignores the far tail, which differs only when power is near alpha.
`solve_power` takes standardised effect sizes (Cohen's d = difference / SD).

Per design (`PLANNING_DESIGNS`), with n the planned measurements per phase (and group), as the
registration form asks, and the estimate's SE = SD·√(k/n) on its df:

| design | k | df | as R |
|---|---|---|---|
| before/after (Welch) | 2 | 2n − 2 | ``power.t.test(type="two.sample")`` |
| paired (SD of the units' changes, n units) | 1 | n − 1 | ``power.t.test(type="paired")`` |
| control group (DiD, four cells of n) | 4 | 4n − 4 | the same noncentral t, written out |

Approximations, stated on the page: Welch is planned as Student's t with equal SDs; the DiD as
independent rows with one SD in all four cells (repeated units measured before and after need
fewer: the change-score analysis uses the pairing); a time series has no MDE here, since it
depends on the weeks and their autocorrelation, which a plan does not give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gains.stats.assemble import StatsInputError
from gains.stats.inference import power_for_effect


@dataclass(frozen=True)
class PowerResult:
    """The three planning quantities and alpha, one of them solved for."""

    effect_size: float
    n_per_group: float
    power: float
    alpha: float


def solve_power(
    effect_size: float | None = None,
    n_per_group: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
) -> PowerResult:
    """Give exactly two of effect size, n per group and power; the third is solved for.

    n per group is returned unrounded (round up to plan); the minimum detectable effect is the
    effect size solved for a given n and power.
    """
    given = {"effect_size": effect_size, "n_per_group": n_per_group, "power": power}
    missing = [name for name, value in given.items() if value is None]
    if len(missing) != 1:
        raise StatsInputError("give exactly two of effect size, n per group and power")
    _check_ranges(effect_size, n_per_group, power, alpha)
    solved = _solve(effect_size, n_per_group, power, alpha)
    given[missing[0]] = solved
    return PowerResult(alpha=alpha, **{name: float(value) for name, value in given.items()})


def power_two_sample(effect_size: float, n_per_group: float, alpha: float = 0.05) -> float:
    """Power of the two-sided two-sample t test."""
    return solve_power(effect_size=effect_size, n_per_group=n_per_group, alpha=alpha).power


def n_per_group_for_power(effect_size: float, power: float = 0.8, alpha: float = 0.05) -> float:
    """Sample size per group (unrounded) to reach ``power``."""
    return solve_power(effect_size=effect_size, power=power, alpha=alpha).n_per_group


def minimum_detectable_effect(n_per_group: float, power: float = 0.8, alpha: float = 0.05) -> float:
    """Smallest standardised effect detectable with ``power`` (multiply by the SD for units)."""
    return solve_power(n_per_group=n_per_group, power=power, alpha=alpha).effect_size


def _solve(effect_size, n_per_group, power, alpha, design: str = "before_after") -> float:
    """Power directly; n or effect size by Brent's method on the power curve (monotone in
    each), with tolerances tight enough to reproduce R to many digits."""
    if power is None:
        return _power(effect_size, n_per_group, alpha, design)
    if n_per_group is None:
        # As R's power.t.test does (its uniroot extends below 2), n is solved on n > 1, where
        # every design's test has df > 0: a large effect needs fewer than 2 (round up to plan).

        def shortfall(n: float) -> float:
            return _power(effect_size, n, alpha, design) - power

        if shortfall(2.0) < 0.0:
            return _root(shortfall, lower=2.0)
        return _root_below_two(shortfall)
    return _root(lambda d: _power(d, n_per_group, alpha, design) - power, lower=1e-9)


def _root_below_two(shortfall) -> float:
    """The root between 1 and 2 a group: halve the distance to 1 until power falls short
    (R's uniroot(extendInt = "upX") steps down the same way). Very near 1 the noncentral t
    with almost no degrees of freedom is not trustworthy, so the search stops at 1 + 2⁻²⁰."""
    upper, lower = 2.0, 1.5
    while shortfall(lower) >= 0.0:
        if lower - 1.0 < 2.0**-20:
            raise StatsInputError("no sample size per group reaches that power this close to 1")
        upper, lower = lower, 1.0 + (lower - 1.0) / 2.0
    return _brent(shortfall, lower, upper)


def _root(shortfall, lower: float) -> float:
    """Root of an increasing function: bracket by doubling (far-out arguments make the
    noncentral t evaluate to NaN), then Brent's method."""
    upper = max(2.0 * lower, 1.0)
    while shortfall(upper) < 0.0:
        lower, upper = upper, 2.0 * upper
    return _brent(shortfall, lower, upper)


@dataclass(frozen=True)
class PlanningDesign:
    """The estimate's SE in SDs is √(variance_factor / n) on df_per_n·n − df_lost df."""

    variance_factor: float
    df_per_n: float
    df_lost: float


PLANNING_DESIGNS = {
    "before_after": PlanningDesign(2.0, 2.0, 2.0),
    "paired": PlanningDesign(1.0, 1.0, 1.0),
    "control_group": PlanningDesign(4.0, 4.0, 4.0),
}


def _power(effect_size: float, n: float, alpha: float, design: str = "before_after") -> float:
    """Noncentrality d/√(k/n) on the design's df; for two equal groups (k = 2, 2n − 2 df) as
    statsmodels' ``TTestIndPower`` and R's ``power.t.test(strict=TRUE)`` compute it."""
    shape = PLANNING_DESIGNS[design]
    se_in_sd = math.sqrt(shape.variance_factor / n)
    df = shape.df_per_n * n - shape.df_lost
    return float(power_for_effect(effect_size, se_in_sd, df, 1.0 - alpha))


# A named planning warning: the expected effect is smaller than the design can detect.
EXPECTED_EFFECT_BELOW_MDE = "expected_effect_below_mde"
PLANNED_POWER = 0.8


@dataclass(frozen=True)
class PlanCheck:
    """A plan's minimum detectable effect (metric units, at ``power``) for its n and SD, the
    n per phase (and group) its expected effect needs (unrounded), and the warning when the
    expected effect is below the MDE."""

    design: str
    n: int
    sd: float
    power: float
    alpha: float
    minimum_detectable_effect: float
    n_needed: float | None
    warning: str | None


def plan_check(
    design: str,
    n: int,
    sd: float,
    expected_effect: float | None = None,
    power: float = PLANNED_POWER,
    alpha: float = 0.05,
) -> PlanCheck:
    """The MDE of ``design`` (a `PLANNING_DESIGNS` key) with n per phase (and group) and the
    SD (paired: of the units' changes), and what the expected effect (metric units, either
    sign) needs. R: ``power.t.test(n=n, sd=sd, power=power, delta=NULL, strict=TRUE)``."""
    if design not in PLANNING_DESIGNS:
        raise StatsInputError(f"no planning formula for the design {design!r}")
    _check_ranges(None, n, power, alpha)
    if not (math.isfinite(sd) and sd > 0):
        raise StatsInputError("the standard deviation must be a positive number")
    mde = sd * _solve(None, n, power, alpha, design)
    n_needed = None
    if expected_effect:
        n_needed = _solve(abs(expected_effect) / sd, None, power, alpha, design)
    below = expected_effect is not None and abs(expected_effect) < mde
    return PlanCheck(
        design, n, sd, power, alpha, mde, n_needed, EXPECTED_EFFECT_BELOW_MDE if below else None
    )


def _check_ranges(effect_size, n_per_group, power, alpha) -> None:
    for name, value in (
        ("effect size", effect_size),
        ("n per group", n_per_group),
        ("power", power),
        ("alpha", alpha),
    ):
        if value is not None and not math.isfinite(value):
            raise StatsInputError(f"{name} must be a finite number, not {value}")
    if not 0 < alpha < 1:
        raise StatsInputError("alpha must be between 0 and 1")
    if power is not None and not alpha < power < 1:
        raise StatsInputError("power must be between alpha and 1")
    if n_per_group is not None and not n_per_group > 1:
        raise StatsInputError("n per group must be more than 1 (the test has 2n - 2 df)")
    if effect_size is not None and not effect_size > 0:
        raise StatsInputError("effect size must be positive (its sign does not change power)")


def _brent(shortfall, lower: float, upper: float) -> float:
    # scipy.optimize imported here: the pages import this module for planning, and starting
    # the app must not pay for it (decision 0016).
    from scipy import optimize

    return float(optimize.brentq(shortfall, lower, upper, xtol=1e-14, rtol=1e-14))
