"""Annual savings of improvements: claimed (current estimates) and validated (approvals).

docs/DESIGN.md "Money": claimed = current estimates of improvements that are running,
submitted, changes requested or approved; validated = the latest approval's snapshot, which
stands while an approved improvement is back in review. A rejection or a withdrawal after
that ends it: the improvement no longer claims a validated saving.

The dashboards add up thousands of these, so they are loaded as columns in one query each
(estimates and approvals keep the figures needed as columns beside their JSON documents)
into plain `SavingRow` values: no ORM objects, nothing lazy-loaded, and safe to keep in a
cache after the request's session has gone.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, and_, func, select

from gains.extensions import db
from gains.models import (
    Decision,
    Design,
    Direction,
    Estimate,
    Improvement,
    ImprovementKind,
    Pillar,
    Review,
    Status,
)
from gains.models.improvement import APPRAISAL_DEFAULTS
from gains.stats.appraisal import Appraisal, appraise, discount_rate
from gains.stats.inference import DEFAULT_LEVEL
from gains.stats.money import CLAIMED_STATUSES, AnnualSaving, SavingItem, annual_saving

# An improvement's current money terms, or an approval's: `Review` keeps the same names.
MoneyTerms = Improvement | Review

# Statuses in which the latest approval still stands as the validated figure.
VALIDATED_STATUSES = (Status.APPROVED, Status.SUBMITTED, Status.CHANGES_REQUESTED)


def saving_for(terms: MoneyTerms, result: dict[str, Any]) -> AnnualSaving | None:
    """The annual saving (with SE and CI) of an estimate, if the money terms are set. With
    ranges on the annual volume or the £ per unit the CI includes them (`annual_saving`'s
    seeded Monte Carlo on the gain's own t distribution), so every page shows the one
    interval an approval records."""
    gain, se = result.get("gain"), result.get("se")
    if terms.scale is None or terms.annual_volume is None or terms.value_per_unit_gbp is None:
        return None  # the terms are not set yet (or an approval predates keeping them)
    if gain is None or se is None:
        return None
    return _saving(
        gain,
        se,
        result.get("gain_ci_low"),
        result.get("gain_ci_high"),
        terms.scale,
        terms.annual_volume,
        terms.value_per_unit_gbp,
        _volume_range(terms),
        _value_range(terms),
        result.get("df"),
        result.get("level") or DEFAULT_LEVEL,
    )


@dataclass(frozen=True)
class Money:
    """An estimate in money: the annual saving with its interval and the Green Book
    appraisal of that saving over the improvement's life (None for an approval recorded
    before its appraisal terms were kept)."""

    saving: AnnualSaving
    appraisal: Appraisal | None
    annual_volume_ranged: bool
    value_per_unit_ranged: bool
    health_outcomes: bool

    @property
    def ranged(self) -> bool:
        return self.annual_volume_ranged or self.value_per_unit_ranged


def money_for(terms: MoneyTerms, result: dict[str, Any]) -> Money | None:
    """The annual saving and its appraisal (`stats.appraisal.appraise`, at the central
    saving) from money terms: an improvement's current ones, or an approval's (a `Review`
    keeps them under the same names). None while the saving cannot be worked out."""
    saving = saving_for(terms, result)
    if saving is None:
        return None
    appraisal = None
    if terms.expected_life_years is not None and terms.implementation_cost_pence is not None:
        appraisal = appraise(
            saving.annual_saving_pence,
            terms.implementation_cost_pence,
            terms.expected_life_years,
            persistence=terms.persistence,
            discount_rate=discount_rate(bool(terms.health_outcomes)),
            optimism_bias_benefits=terms.optimism_bias_benefits,
            optimism_bias_costs=terms.optimism_bias_costs,
        )
    return Money(
        saving=saving,
        appraisal=appraisal,
        annual_volume_ranged=_volume_range(terms) is not None,
        value_per_unit_ranged=_value_range(terms) is not None,
        health_outcomes=bool(terms.health_outcomes),
    )


def _volume_range(terms: MoneyTerms) -> tuple[int, int] | None:
    """(low, high) of the annual volume when both ends are given, else None: exact."""
    low, high = terms.annual_volume_low, terms.annual_volume_high
    return None if low is None or high is None else (low, high)


def _value_range(terms: MoneyTerms) -> tuple[Decimal, Decimal] | None:
    """(low, high) of the £ per unit when both ends are given, else None: exact."""
    low, high = terms.value_per_unit_low_gbp, terms.value_per_unit_high_gbp
    return None if low is None or high is None else (low, high)


# Prices remembered per app (a few hundred bytes each): a dashboard prices thousands of
# unchanged estimates with exact decimal arithmetic (about 8 µs each, 50 times a remembered
# one), and only the changed ones need it again.
PRICES_KEPT = 100_000


def init_app(app: Flask) -> None:
    """Each app its own remembered prices, so apps on different databases (the tests build
    many) share nothing; `typed`, so 1, 1.0 and Decimal(1) are priced apart."""
    app.extensions["gains_savings"] = functools.lru_cache(maxsize=PRICES_KEPT, typed=True)(_price)


def _saving(gain, se, ci_low, ci_high, scale, annual_volume, value_per_unit_gbp, *ranged):
    return current_app.extensions["gains_savings"](
        gain, se, ci_low, ci_high, scale, annual_volume, value_per_unit_gbp, *ranged
    )


def _price(
    gain,
    se,
    ci_low,
    ci_high,
    scale,
    annual_volume,
    value_per_unit_gbp,
    volume_range=None,
    value_range=None,
    gain_df=None,
    level=DEFAULT_LEVEL,
):
    """`annual_saving`, remembered: with input ranges it is a seeded Monte Carlo (about 8 ms),
    which the review queue and the pages would otherwise repeat for every row they show."""
    if annual_volume is None or value_per_unit_gbp is None or gain is None or se is None:
        return None
    return annual_saving(
        gain,
        se,
        ci_low,
        ci_high,
        Decimal(scale),
        Decimal(annual_volume),
        value_per_unit_gbp,
        annual_volume_range=volume_range,
        value_per_unit_range_gbp=value_range,
        gain_df=gain_df,
        level=level,
    )


@dataclass(frozen=True)
class RowTerms:
    """What a saving's range and appraisal need, as plain numbers (statistics, not money):
    the input ranges as ratios to the central value (`money.RangedItem`) and the Green Book
    terms (`appraisal.present_value_factor`)."""

    volume_ratios: tuple[float, float]
    value_ratios: tuple[float, float]
    expected_life_years: int
    persistence: float
    discount_rate: float
    optimism_bias_benefits: float
    optimism_bias_costs: float


def _ratios(low, central, high) -> tuple[float, float]:
    """(low ÷ central, high ÷ central); exact (1, 1) without a range or a central of 0."""
    if low is None or high is None or not central:
        return (1.0, 1.0)
    return (float(low) / float(central), float(high) / float(central))


def row_terms(
    kind: ImprovementKind,
    volume,
    volume_low,
    volume_high,
    value,
    value_low,
    value_high,
    life,
    persistence,
    health,
    bias_benefits,
    bias_costs,
) -> RowTerms:
    """The terms from columns; a term missing (an approval older than the terms) is the
    kind's default (`APPRAISAL_DEFAULTS`), the value registration would have given it."""
    default = APPRAISAL_DEFAULTS[kind]
    health = default.health_outcomes if health is None else health
    return RowTerms(
        volume_ratios=_ratios(volume_low, volume, volume_high),
        value_ratios=_ratios(value_low, value, value_high),
        expected_life_years=int(life if life is not None else default.expected_life_years),
        persistence=float(persistence if persistence is not None else default.persistence),
        discount_rate=discount_rate(bool(health)),
        optimism_bias_benefits=float(
            bias_benefits if bias_benefits is not None else default.optimism_bias_benefits
        ),
        optimism_bias_costs=float(
            bias_costs if bias_costs is not None else default.optimism_bias_costs
        ),
    )


@dataclass(frozen=True)
class SavingRow:
    """One improvement's saving, claimed or validated, with what dashboards group it by."""

    improvement_id: int
    title: str
    department_id: int
    status: Status
    pillar: Pillar
    kind: ImprovementKind
    design: Design
    direction: Direction
    go_live_on: date | None
    ended_on: date | None
    implementation_cost_pence: int
    data_version: int
    item: SavingItem
    # Validated rows only: the approved estimate's standardised effect and the method that
    # decides its standardiser, for pooling.
    hedges_g: float | None = None
    hedges_g_variance: float | None = None
    estimate_method: str | None = None
    evidence_level: int | None = None  # 2-5; department pooling leaves out 2 unless asked
    # Ranges and appraisal: a validated row's are the approval's, a claimed row's the
    # improvement's current ones.
    terms: RowTerms | None = None


_IMPROVEMENT_COLUMNS = (
    Improvement.id,
    Improvement.title,
    Improvement.department_id,
    Improvement.status,
    Improvement.pillar,
    Improvement.kind,
    Improvement.design,
    Improvement.direction,
    Improvement.go_live_on,
    Improvement.ended_on,
    Improvement.implementation_cost_pence,
    Improvement.data_version,
)


_N_IMPROVEMENT = len(_IMPROVEMENT_COLUMNS)


def _newest_approvals(*where: ColumnElement[bool]):
    """Subquery: (improvement_id, review_id) of each improvement's most recent approval."""
    return (
        select(Review.improvement_id, func.max(Review.id).label("review_id"))
        .where(Review.decision == Decision.APPROVED, *where)
        .group_by(Review.improvement_id)
        .subquery()
    )


def latest_approvals(improvement_ids: Iterable[int]) -> dict[int, Review]:
    """The most recent approval of each improvement (that has one)."""
    ids = list(improvement_ids)
    if not ids:
        return {}
    newest = _newest_approvals(Review.improvement_id.in_(ids))
    reviews = db.session.scalars(select(Review).join(newest, newest.c.review_id == Review.id))
    return {review.improvement_id: review for review in reviews}


def validated_rows(*where: ColumnElement[bool]) -> list[SavingRow]:
    """Each improvement's standing approval (the latest, while its status lets it stand),
    for the improvements matching ``where``, ordered by improvement id."""
    latest = _newest_approvals()
    stmt = (
        select(
            *_IMPROVEMENT_COLUMNS,
            Review.annual_saving_gbp,
            Review.annual_saving_se_gbp,
            Review.saving_ci_excludes_zero,
            Review.cashable,
            Review.hedges_g,
            Review.hedges_g_variance,
            Review.snapshot[("estimate", "method")].as_string(),
            Review.evidence_level,
            *_term_columns(Review),
        )
        .join(latest, latest.c.improvement_id == Improvement.id)
        .join(Review, Review.id == latest.c.review_id)
        .where(Improvement.status.in_(VALIDATED_STATUSES), *where)
        .order_by(Improvement.id)
    )
    rows = []
    for row in db.session.execute(stmt):
        columns, terms = row[:_N_IMPROVEMENT], row[-_N_TERMS:]
        pounds, se_pounds, excludes_zero, cashable, g, g_var, method, level = row[
            _N_IMPROVEMENT:-_N_TERMS
        ]
        item = SavingItem(
            annual_saving_pence=int(pounds * 100),  # exact: the column holds whole pence
            se_pence=int(se_pounds * 100),
            ci_excludes_zero=bool(excludes_zero),
            cashable=bool(cashable),
            status=columns[3].value,
        )
        rows.append(
            SavingRow(
                *columns,
                item=item,
                hedges_g=g,
                hedges_g_variance=g_var,
                estimate_method=method,
                evidence_level=level,
                terms=row_terms(columns[5], *terms),
            )
        )
    return rows


def claimed_rows(*where: ColumnElement[bool]) -> list[SavingRow]:
    """The saving of each claiming improvement matching ``where`` from its cached estimate
    at the current data version (never computed here: the write path stores one for every
    new data version, and an improvement whose data give none claims nothing yet)."""
    stmt = (
        select(
            *_IMPROVEMENT_COLUMNS,
            Improvement.cashable,
            Improvement.scale,
            Improvement.annual_volume,
            Improvement.value_per_unit_gbp,
            Estimate.gain,
            Estimate.se,
            Estimate.gain_ci_low,
            Estimate.gain_ci_high,
            Estimate.evidence_level,
            *_term_columns(Improvement),
        )
        .join(
            Estimate,
            and_(
                Estimate.improvement_id == Improvement.id,
                Estimate.data_version == Improvement.data_version,
            ),
        )
        .where(
            Improvement.status.in_([Status(value) for value in sorted(CLAIMED_STATUSES)]),
            Improvement.annual_volume.is_not(None),
            Improvement.value_per_unit_gbp.is_not(None),
            Estimate.gain.is_not(None),
            Estimate.se.is_not(None),
            *where,
        )
        .order_by(Improvement.id)
    )
    rows = []
    for row in db.session.execute(stmt):
        columns, terms = row[:_N_IMPROVEMENT], row[-_N_TERMS:]
        cashable, scale, volume, per_unit, gain, se, low, high, level = row[
            _N_IMPROVEMENT:-_N_TERMS
        ]
        saving = _saving(gain, se, low, high, scale, volume, per_unit)
        item = SavingItem(
            annual_saving_pence=saving.annual_saving_pence,
            se_pence=saving.se_pence,
            ci_excludes_zero=saving.ci_excludes_zero,
            cashable=cashable,
            status=columns[3].value,
        )
        rows.append(
            SavingRow(
                *columns,
                item=item,
                evidence_level=level,
                terms=row_terms(columns[5], *terms),
            )
        )
    return rows


def _term_columns(source) -> tuple:
    """The columns `row_terms` reads, in its order, from `Review` (what the approval
    priced) or `Improvement` (the current plan): both name them alike."""
    return (
        source.annual_volume,
        source.annual_volume_low,
        source.annual_volume_high,
        source.value_per_unit_gbp,
        source.value_per_unit_low_gbp,
        source.value_per_unit_high_gbp,
        source.expected_life_years,
        source.persistence,
        source.health_outcomes,
        source.optimism_bias_benefits,
        source.optimism_bias_costs,
    )


_N_TERMS = len(_term_columns(Review))


@dataclass(frozen=True)
class PoolRow:
    """One improvement in its department's shrinkage pool: a standardised effect (Hedges' g,
    signed the gain's way) and its sampling variance, whatever its status."""

    improvement_id: int
    department_id: int
    hedges_g: float
    hedges_g_variance: float
    evidence_level: int | None


def pool_rows(*where: ColumnElement[bool]) -> list[PoolRow]:
    """Every improvement matching ``where`` with a standardised effect (decision 0035): its
    standing approval's g if it has one, else its current estimate's, at any status.

    The pool behind shrinkage must be every estimated item, approved or not: leaving out the
    rejected and the still running is the very selection on looking good that inflates the
    approved (decision 0033). Time series have no g, so never enter. One query: an approval
    that stands (`VALIDATED_STATUSES`) is joined first, the current estimate as the fallback.
    """
    latest = _newest_approvals()
    standing = Improvement.status.in_(VALIDATED_STATUSES)
    approved = and_(Review.id == latest.c.review_id, standing)
    g = func.coalesce(Review.hedges_g, Estimate.hedges_g)
    variance = func.coalesce(Review.hedges_g_variance, Estimate.hedges_g_variance)
    level = func.coalesce(Review.evidence_level, Estimate.evidence_level)
    stmt = (
        select(Improvement.id, Improvement.department_id, g, variance, level)
        .outerjoin(latest, latest.c.improvement_id == Improvement.id)
        .outerjoin(Review, approved)
        .outerjoin(
            Estimate,
            and_(
                Estimate.improvement_id == Improvement.id,
                Estimate.data_version == Improvement.data_version,
            ),
        )
        .where(Improvement.design != Design.TIME_SERIES, g.is_not(None), variance > 0, *where)
        .order_by(Improvement.id)
    )
    return [PoolRow(*row) for row in db.session.execute(stmt)]
