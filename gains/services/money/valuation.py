"""Honest figures for validated savings: shrunk toward each department's pool, appraised over
their life, and totalled with bands that carry statistical uncertainty, input ranges and the
correlation within a department (docs/STATISTICS.md §18, decision 0035).

`value_savings` prices a list of validated rows once (vectorised: one shrinkage fit per
department, one present-value call over the whole column); `honest_totals` adds up any subset
of them by `money.ranged_total`, so a headline and its breakdowns come from the same per-row
figures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement

from gains.services.money.savings import PoolRow, SavingRow, pool_rows
from gains.stats.appraisal import present_value_factor
from gains.stats.money import (
    DEPARTMENT_INPUT_CORRELATION,
    LowRankCovariance,
    RangedItem,
    RangedTotals,
    SavingsTotal,
    ranged_total,
)
from gains.stats.shrunk_savings import shrink_savings, total_variance

# The headline counts what a comparison validated (docs/DESIGN.md "Evidence levels").
HEADLINE_LEVEL = 3
# Draws for the dashboards' totals: each end of a band moves by about 2 % of its width
# between seeds (docs/STATISTICS.md §18 measures it); a Treasury page computed afresh takes
# a few such totals, so 4,096 draws (money.TOTAL_DRAWS) would cost seconds at 10,000 items.
DASHBOARD_DRAWS = 1024
# Basis points: optimism bias has 4 decimal places (Numeric(5, 4)), so the cost after it is
# exact in integers.
BASIS = 10_000


@dataclass(frozen=True)
class ValuedRow:
    """A validated row with its shrunk saving and whole-life appraisal (pence), and what its
    shrunk saving brings to its department's covariance (pence²)."""

    row: SavingRow
    shrunk_pence: int
    shrunk: bool
    pv_factor: float  # present value of £1 a year over its life (appraisal)
    pv_cost_pence: int  # the one-off cost after optimism bias
    npv_raw_pence: int
    npv_pence: int  # of the shrunk saving: the one to bank
    shrunk_variance: float
    shrunk_factors: tuple[float, float]

    @property
    def evidence_level(self) -> int | None:
        return self.row.evidence_level


@dataclass(frozen=True)
class Valuation:
    rows: list[ValuedRow]
    include_level_2: bool
    pool_sizes: dict[int, int]  # department id → improvements in its pool

    @property
    def n_unshrunk(self) -> int:
        return sum(not v.shrunk for v in self.rows)


@dataclass(frozen=True)
class HonestTotals:
    """Raw and shrunk totals of the same rows, each with the NPV totalled by the same draws
    (``weighted``)."""

    raw: RangedTotals
    shrunk: RangedTotals
    n_unshrunk: int


def counted_levels(include_level_2: bool) -> int:
    """The lowest evidence level pooled and counted."""
    return 2 if include_level_2 else HEADLINE_LEVEL


def value_savings(
    validated: Sequence[SavingRow],
    *where: ColumnElement[bool],
    include_level_2: bool = False,
    pool: Sequence[PoolRow] | None = None,
) -> Valuation:
    """Shrink and appraise ``validated`` rows. The pool is every estimated improvement of
    their departments (`savings.pool_rows`, ``where`` narrowing it to the same departments)
    at the counted levels; only rows in the pool at those levels are shrunk."""
    lowest = counted_levels(include_level_2)
    pool = pool_rows(*where) if pool is None else pool
    by_department: dict[int, list[PoolRow]] = defaultdict(list)
    for member in pool:
        if (member.evidence_level or 0) >= lowest:
            by_department[member.department_id].append(member)
    n = len(validated)
    shrunk_pence = np.array([float(r.item.annual_saving_pence) for r in validated])
    shrunk = np.zeros(n, dtype=bool)
    variance = np.array([float(r.item.se_pence) ** 2 for r in validated])
    factors = np.zeros((n, 2))
    rows_of: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(validated):
        rows_of[row.department_id].append(i)
    for department, members in by_department.items():
        items = np.array(rows_of.get(department, []), dtype=np.int64)
        if not len(items):
            continue
        position = {m.improvement_id: j for j, m in enumerate(members)}
        index = [
            position.get(validated[i].improvement_id, -1)
            if (validated[i].evidence_level or 0) >= lowest
            else -1
            for i in items
        ]
        result = shrink_savings(
            [m.hedges_g for m in members],
            [m.hedges_g_variance for m in members],
            index,
            shrunk_pence[items],
            np.sqrt(variance[items]),
        )
        shrunk_pence[items] = result.saving_pence
        shrunk[items] = result.shrunk
        variance[items] = result.covariance.diagonal
        factors[items] = result.covariance.factors
    factor, pv_cost = _appraisal_columns(validated)
    rounded = np.floor(shrunk_pence + 0.5)
    raw = np.array([float(r.item.annual_saving_pence) for r in validated])
    npv_raw = np.floor(factor * raw + 0.5) - pv_cost
    npv = np.floor(factor * rounded + 0.5) - pv_cost
    # Python numbers from whole columns at once (indexing numpy per row costs more than the
    # arithmetic above).
    columns = zip(
        validated,
        rounded.astype(np.int64).tolist(),
        shrunk.tolist(),
        factor.tolist(),
        pv_cost.astype(np.int64).tolist(),
        npv_raw.astype(np.int64).tolist(),
        npv.astype(np.int64).tolist(),
        variance.tolist(),
        map(tuple, factors.tolist()),
        strict=True,
    )
    rows = [ValuedRow(*values) for values in columns]
    return Valuation(rows, include_level_2, {d: len(m) for d, m in by_department.items()})


def _appraisal_columns(rows: Sequence[SavingRow]) -> tuple[np.ndarray, np.ndarray]:
    """Present-value factors (one vectorised call) and the costs after optimism bias (exact,
    in integer pence rounded half up) of rows that carry their terms."""
    if not rows:
        return np.zeros(0), np.zeros(0)
    terms = [r.terms for r in rows]
    factor = present_value_factor(
        [t.expected_life_years for t in terms],
        [t.persistence for t in terms],
        [t.discount_rate for t in terms],
        [t.optimism_bias_benefits for t in terms],
    )
    cost = np.array([r.implementation_cost_pence for r in rows], dtype=np.int64)
    uplift = np.array([round(t.optimism_bias_costs * BASIS) for t in terms], dtype=np.int64)
    pv_cost = (cost * (BASIS + uplift) + BASIS // 2) // BASIS
    return np.asarray(factor, dtype=float), pv_cost.astype(float)


def department_covariances(rows: Sequence[ValuedRow]) -> dict[int, LowRankCovariance]:
    """Each department's covariance of the shrunk savings of ``rows`` (in their order):
    restricting a diagonal-plus-low-rank covariance to some items keeps their rows."""
    diagonal: dict[int, list[float]] = defaultdict(list)
    factors: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for valued in rows:
        diagonal[valued.row.department_id].append(valued.shrunk_variance)
        factors[valued.row.department_id].append(valued.shrunk_factors)
    return {
        department: LowRankCovariance(np.array(diagonal[department]), np.array(factors[department]))
        for department in diagonal
    }


def honest_totals(rows: Sequence[ValuedRow], draws: int = DASHBOARD_DRAWS) -> HonestTotals:
    """Raw and shrunk totals of ``rows`` with their NPVs, by `money.ranged_total`: raw
    savings with independent statistical errors, shrunk ones with their department's
    covariance (restricted to these rows), both with the input ranges correlated
    `DEPARTMENT_INPUT_CORRELATION` within a department."""
    raw_items, shrunk_items = [], []
    for valued in rows:
        row, terms = valued.row, valued.row.terms
        common = {
            "department": row.department_id,
            "volume_ratios": terms.volume_ratios,
            "value_ratios": terms.value_ratios,
            "weight": valued.pv_factor,
            "offset_pence": valued.pv_cost_pence,
        }
        raw_items.append(RangedItem(row.item.annual_saving_pence, row.item.se_pence, **common))
        shrunk_items.append(
            RangedItem(valued.shrunk_pence, float(np.sqrt(valued.shrunk_variance)), **common)
        )
    covariances = department_covariances(rows)
    return HonestTotals(
        raw=ranged_total(raw_items, correlation=DEPARTMENT_INPUT_CORRELATION, draws=draws),
        shrunk=ranged_total(
            shrunk_items, covariances, correlation=DEPARTMENT_INPUT_CORRELATION, draws=draws
        ),
        n_unshrunk=sum(not v.shrunk for v in rows),
    )


@dataclass(frozen=True)
class Band:
    """A total with its band (pence), e.g. a whole-life NPV."""

    total_pence: int
    band_low_pence: int
    band_high_pence: int
    n_items: int
    level: float


@dataclass(frozen=True)
class HonestFigures:
    """A set of validated rows as the dashboards show them: raw and shrunk annual savings
    (`SavingsTotal`s whose bands are `ranged_total`'s) and their whole-life NPVs."""

    raw: SavingsTotal
    shrunk: SavingsTotal
    npv_raw: Band
    npv: Band
    all_inputs_low_pence: int  # the shrunk total with every input at its low
    all_inputs_high_pence: int
    n_unshrunk: int


def honest_figures(rows: Sequence[ValuedRow], draws: int = DASHBOARD_DRAWS) -> HonestFigures:
    """`honest_totals` of ``rows`` as figures for pages, files and the API."""
    totals = honest_totals(rows, draws)
    excluding_zero = [v for v in rows if v.row.item.ci_excludes_zero]
    raw_se = float(np.sqrt(sum(float(v.row.item.se_pence) ** 2 for v in rows)))
    shrunk_se = math.sqrt(sum(map(total_variance, department_covariances(rows).values())))

    def total(band, se: float, from_excluding_zero: int) -> SavingsTotal:
        return SavingsTotal(
            total_pence=band.total_pence,
            se_pence=round(se),
            band_low_pence=band.band_low_pence,
            band_high_pence=band.band_high_pence,
            from_items_excluding_zero_pence=from_excluding_zero,
            n_items=len(rows),
            level=totals.raw.level,
        )

    def npv(band) -> Band:
        return Band(
            band.total_pence, band.band_low_pence, band.band_high_pence, len(rows), totals.raw.level
        )

    return HonestFigures(
        raw=total(
            totals.raw.saving, raw_se, sum(v.row.item.annual_saving_pence for v in excluding_zero)
        ),
        shrunk=total(totals.shrunk.saving, shrunk_se, sum(v.shrunk_pence for v in excluding_zero)),
        npv_raw=npv(totals.raw.weighted),
        npv=npv(totals.shrunk.weighted),
        all_inputs_low_pence=totals.shrunk.saving.all_inputs_low_pence,
        all_inputs_high_pence=totals.shrunk.saving.all_inputs_high_pence,
        n_unshrunk=totals.n_unshrunk,
    )
