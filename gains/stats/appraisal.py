"""Whole-life appraisal of an improvement in the Green Book's terms: present values, NPV,
benefit-cost ratio and payback month.

HM Treasury (2022), *The Green Book: Central Government Guidance on Appraisal and Evaluation*:
future costs and benefits are discounted at the social time preference rate, 3.5 % a year
(1.5 % where the benefits are health outcomes, its "health discount rate"), and adjusted for
optimism bias (appraisers' tendency to overstate benefits and understate costs) by a
percentage uplift on costs and, here, a percentage reduction of benefits.

Annual steps, as issue 20's contract fixes them. With annual saving S, one-off cost K, life
N years, persistence P (the share of the saving that survives each further year), rate r and
optimism biases B (benefits) and C (costs):

    benefit in year t = S · (1 − B) · P^(t − 1),  t = 1..N, discounted by (1 + r)^t
    PV of benefits    = S · Σ (1 − B) · P^(t − 1) / (1 + r)^t = S · present_value_factor
    PV of costs       = K · (1 + C), at t = 0, so not discounted
    NPV = PVB − PVC;  BCR = PVB / PVC (none at zero cost: nothing to divide by)

The payback month is counted on the *undiscounted* benefits (after B and P), accruing evenly
within each year, against the cost after C, in exact arithmetic (see `payback_month`).

Money crosses the boundary in integer pence, rounded half up by `money.round_pence`; the
factor is a float (a statistic of the terms, not a sum of money).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

from gains.stats.money import MONTHS_PER_YEAR, as_decimal, round_pence

GREEN_BOOK_DISCOUNT_RATE = 0.035  # Green Book (2022), the social time preference rate, years 0-30
HEALTH_DISCOUNT_RATE = 0.015  # Green Book (2022), for health outcomes (QALYs and their value)

Number = int | float | Decimal


@dataclass(frozen=True)
class Appraisal:
    """One improvement's appraisal: present values and NPV in pence, BCR, payback month, and
    the terms it was computed with."""

    pv_benefits_pence: int
    pv_costs_pence: int
    npv_pence: int
    bcr: float | None  # None at zero cost: there is no ratio, not an infinite one
    payback_month: int | None  # None if the benefits never cover the cost within the life
    annual_saving_pence: int
    cost_pence: int
    years: int
    persistence: Number
    discount_rate: Number
    optimism_bias_benefits: Number
    optimism_bias_costs: Number


def discount_rate(health_outcomes: bool) -> float:
    """The Green Book rate an improvement's benefits are discounted at: the health rate where
    they are health outcomes, else the standard one."""
    return HEALTH_DISCOUNT_RATE if health_outcomes else GREEN_BOOK_DISCOUNT_RATE


def present_value_factor(years, persistence, discount_rate, optimism_bias_benefits):
    """The present value of £1 a year of annual saving: Σ_{t=1..N} (1 − B)·P^(t−1)/(1 + r)^t.

    Arrays (or scalars) in, broadcast against each other; an array of factors out. NPV is
    linear in the saving (PVB = factor × saving), so thousands of approvals, or Monte Carlo
    draws of one saving, are priced by one multiplication. The sum runs over the longest life
    with later years masked off, rather than the closed geometric form, which divides by zero
    where P = 1 + r.
    """
    years, persistence, rate, bias = np.broadcast_arrays(
        np.asarray(years, dtype=np.int64),
        np.asarray(persistence, dtype=float),
        np.asarray(discount_rate, dtype=float),
        np.asarray(optimism_bias_benefits, dtype=float),
    )
    longest = int(years.max()) if years.size else 0
    t = np.arange(1, longest + 1)
    shape = (*years.shape, 1)
    terms = (1 - bias.reshape(shape)) * persistence.reshape(shape) ** (t - 1)
    terms /= (1 + rate.reshape(shape)) ** t
    return np.where(t <= years.reshape(shape), terms, 0.0).sum(axis=-1)


def payback_month(
    annual_saving_pence: int,
    cost_pence: int,
    years: int,
    persistence: Number = 1,
    optimism_bias_benefits: Number = 0,
    optimism_bias_costs: Number = 0,
) -> int | None:
    """The first month m = 1, 2, ..., 12·N after go-live by whose end the undiscounted benefits
    so far cover the cost: Σ_{s<t} b_s + (j/12)·b_t ≥ K·(1 + C), with m = 12(t − 1) + j and
    b_t = S·(1 − B)·P^(t−1) accruing evenly within year t.

    Exact (fractions, the terms read as the decimals they were written as), so a saving that
    covers the cost exactly at a month's end pays back in that month, not the next by a
    rounding hair. Edge cases follow from the rule: at zero cost a saving that is not negative
    pays back in month 1 (there is nothing to pay back); a negative saving never does (None),
    nor one whose benefits fade before reaching the cost.
    """
    cost = cost_pence * (1 + _exact(optimism_bias_costs))
    yearly = annual_saving_pence * (1 - _exact(optimism_bias_benefits))
    kept = _exact(persistence)
    before = Fraction(0)  # the benefits of the years already past
    for year in range(years):
        # Cumulative benefits rise within the year only for a positive yearly benefit; else
        # the year's first month is its best.
        month = 1
        if yearly > 0:
            month = max(1, math.ceil(MONTHS_PER_YEAR * (cost - before) / yearly))
        if month <= MONTHS_PER_YEAR and before + yearly * month / MONTHS_PER_YEAR >= cost:
            return MONTHS_PER_YEAR * year + month
        before += yearly
        yearly *= kept
    return None


def appraise(
    annual_saving_pence: int,
    cost_pence: int,
    years: int,
    persistence: Number = 1,
    discount_rate: Number = GREEN_BOOK_DISCOUNT_RATE,
    optimism_bias_benefits: Number = 0,
    optimism_bias_costs: Number = 0,
) -> Appraisal:
    """Present values, NPV, BCR and payback month of one improvement (Green Book 2022; the
    formulas are in the module's docstring and docs/STATISTICS.md).

    The terms' ranges are `gains.bounds`' (life 1-30 years, persistence 0-1, biases 0-0.95 on
    benefits and 0-2 on costs); callers check them there. NPV is the difference of the rounded
    present values, so the three figures shown always add up.
    """
    if years < 1 or cost_pence < 0:
        raise ValueError("an appraisal needs a life of at least a year and a cost of at least 0")
    factor = present_value_factor(years, persistence, discount_rate, optimism_bias_benefits)
    pv_benefits = round_pence(Decimal(float(factor)) * annual_saving_pence)
    pv_costs = round_pence(cost_pence * (1 + as_decimal(optimism_bias_costs)))
    return Appraisal(
        pv_benefits_pence=pv_benefits,
        pv_costs_pence=pv_costs,
        npv_pence=pv_benefits - pv_costs,
        bcr=pv_benefits / pv_costs if pv_costs else None,
        payback_month=payback_month(
            annual_saving_pence,
            cost_pence,
            years,
            persistence,
            optimism_bias_benefits,
            optimism_bias_costs,
        ),
        annual_saving_pence=annual_saving_pence,
        cost_pence=cost_pence,
        years=years,
        persistence=persistence,
        discount_rate=discount_rate,
        optimism_bias_benefits=optimism_bias_benefits,
        optimism_bias_costs=optimism_bias_costs,
    )


def _exact(value: Number) -> Fraction:
    return Fraction(as_decimal(value))
