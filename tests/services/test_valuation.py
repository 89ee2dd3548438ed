"""Honest figures (`services.money.valuation`) on the demo register: the shrinkage pool,
the approved terms, level 2 apart, NPV by hand and the totals' bands."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import select

from gains.models import Department, Design, Estimate, Improvement, Status
from gains.services.dashboards.treasury import TreasuryFilters, treasury_dashboard
from gains.services.money.savings import claimed_rows, pool_rows, validated_rows
from gains.services.money.valuation import honest_figures, honest_totals, value_savings
from gains.stats.appraisal import appraise
from gains.stats.shrinkage import shrink
from tests.support.validated import standing_approvals

TODAY = date(2026, 11, 23)
Z = 1.959963984540054


def department(session, code):
    return session.scalars(select(Department).where(Department.code == code)).one()


def pool_by_hand(session, department_id):
    """Every improvement of the department with a g, walked row by row: its standing
    approval's g, else its current estimate's; time series have none."""
    standing = {i.id: r for i, r in standing_approvals(session)}
    pool = {}
    for improvement in session.scalars(
        select(Improvement).where(Improvement.department_id == department_id)
    ):
        if improvement.design is Design.TIME_SERIES:
            continue
        source = (
            standing.get(improvement.id)
            or session.scalars(
                select(Estimate).where(
                    Estimate.improvement_id == improvement.id,
                    Estimate.data_version == improvement.data_version,
                )
            ).one_or_none()
        )
        if source is not None and source.hedges_g is not None:
            pool[improvement.id] = (
                source.hedges_g,
                source.hedges_g_variance,
                source.evidence_level,
                improvement.status,
            )
    return pool


def test_the_pool_is_every_estimated_improvement_rejected_and_withdrawn_too(session):
    for code in ("REV", "HLT", "WKP", "CTY"):
        d = department(session, code)
        expected = pool_by_hand(session, d.id)
        found = {
            p.improvement_id: (p.hedges_g, p.hedges_g_variance, p.evidence_level)
            for p in pool_rows(Improvement.department_id == d.id)
        }
        assert found == {i: v[:3] for i, v in expected.items()}
    statuses = {
        status
        for code in ("REV", "HLT", "WKP", "CTY")
        for *_, status in pool_by_hand(session, department(session, code).id).values()
    }
    assert {Status.REJECTED, Status.WITHDRAWN, Status.RUNNING} <= statuses


def test_shrunk_savings_are_pence_per_g_times_the_blup_of_the_whole_pool(session):
    d = department(session, "REV")
    pool = [
        (i, g, v)
        for i, (g, v, level, _) in sorted(pool_by_hand(session, d.id).items())
        if level >= 3
    ]
    fit = shrink([g for _, g, _ in pool], [v for *_, v in pool])
    blup = {i: fit.shrunk[k] for k, (i, *_) in enumerate(pool)}
    g_of = {i: g for i, g, _ in pool}
    valued = value_savings(validated_rows(Improvement.department_id == d.id)).rows
    shrunk = [v for v in valued if v.shrunk]
    assert shrunk
    for v in shrunk:
        saving = v.row.item.annual_saving_pence
        expected = saving / g_of[v.row.improvement_id] * blup[v.row.improvement_id]
        assert v.shrunk_pence == pytest.approx(expected, abs=0.5)
    # Leaving the rejected and withdrawn out of the pool would move them: they count.
    kept = [
        p
        for p in pool_rows(Improvement.department_id == d.id)
        if session.get(Improvement, p.improvement_id).status
        not in (Status.REJECTED, Status.WITHDRAWN)
    ]
    without = value_savings([v.row for v in valued], pool=kept).rows
    assert [v.shrunk_pence for v in without] != [v.shrunk_pence for v in valued]


def test_validated_rows_keep_the_approved_terms_not_amended_ones(session):
    d = department(session, "REV")
    approved = next(
        i for i, r in standing_approvals(session, {"REV"}) if i.status is Status.APPROVED
    )
    review = next(r for i, r in standing_approvals(session, {"REV"}) if i.id == approved.id)
    approved.expected_life_years = 30
    approved.persistence = Decimal("0.5")
    approved.health_outcomes = not review.health_outcomes
    session.flush()
    where = Improvement.id == approved.id
    validated = next(r for r in validated_rows(where))
    claimed = next(r for r in claimed_rows(where))
    assert validated.terms.expected_life_years == review.expected_life_years != 30
    assert validated.terms.persistence == float(review.persistence)
    assert claimed.terms.expected_life_years == 30 and claimed.terms.persistence == 0.5
    assert validated.terms.discount_rate != claimed.terms.discount_rate
    assert claimed.evidence_level is not None and validated.evidence_level is not None
    assert d.id == validated.department_id


def test_level_2_is_reported_apart_from_the_headline(session):
    dashboard = treasury_dashboard(TreasuryFilters(), TODAY)
    standing = standing_approvals(session)
    level_2 = [r for _, r in standing if r.evidence_level == 2]
    validated = [r for _, r in standing if r.evidence_level >= 3]
    assert level_2 and validated
    assert dashboard.reported.raw.n_items == len(level_2)
    assert dashboard.validated.n_items == len(validated)
    assert dashboard.validated.total_pence == sum(
        r.snapshot["annual_saving"]["annual_saving_pence"] for r in validated
    )
    with_level_2 = dashboard.sensitivity.scenarios[0]
    assert with_level_2.includes_level_2
    assert with_level_2.total_pence != dashboard.sensitivity.headline_pence


def test_npv_by_hand_for_a_demo_row(session):
    valued = value_savings(validated_rows()).rows
    v = next(v for v in valued if v.row.terms.persistence < 1 and v.row.implementation_cost_pence)
    t, saving = v.row.terms, v.row.item.annual_saving_pence
    benefits = sum(
        saving
        * (1 - t.optimism_bias_benefits)
        * t.persistence ** (year - 1)
        / (1 + t.discount_rate) ** year
        for year in range(1, t.expected_life_years + 1)
    )
    cost = v.row.implementation_cost_pence * (1 + t.optimism_bias_costs)
    assert v.npv_raw_pence == pytest.approx(benefits - cost, abs=1)
    assert v.pv_cost_pence == pytest.approx(cost, abs=0.5)
    appraisal = appraise(
        saving,
        v.row.implementation_cost_pence,
        t.expected_life_years,
        Decimal(str(t.persistence)),
        t.discount_rate,
        Decimal(str(t.optimism_bias_benefits)),
        Decimal(str(t.optimism_bias_costs)),
    )
    assert v.npv_raw_pence == appraisal.npv_pence
    # The shrunk NPV: the same present-value factor on the shrunk saving, the same cost.
    assert v.npv_pence == round(v.pv_factor * v.shrunk_pence) - appraisal.pv_costs_pence


def test_a_total_without_ranges_has_the_statistical_band(session):
    valued = value_savings(validated_rows()).rows
    exact = [
        replace(
            v,
            row=replace(
                v.row, terms=replace(v.row.terms, volume_ratios=(1.0, 1.0), value_ratios=(1.0, 1.0))
            ),
        )
        for v in valued
    ]
    totals = honest_totals(exact, draws=2**14)
    se = math.sqrt(sum(float(v.row.item.se_pence) ** 2 for v in exact))
    total = sum(v.row.item.annual_saving_pence for v in exact)
    assert totals.raw.saving.total_pence == total
    assert totals.raw.saving.band_low_pence == pytest.approx(total - Z * se, rel=0.03)
    assert totals.raw.saving.band_high_pence == pytest.approx(total + Z * se, rel=0.03)
    figures = honest_figures(exact)
    # The shrunk band is ±z times the covariance's SD (per department, summed), the same
    # draws also total the NPVs.
    width = figures.shrunk.band_high_pence - figures.shrunk.band_low_pence
    assert width == pytest.approx(2 * Z * figures.shrunk.se_pence, rel=0.1)
    assert figures.npv.total_pence == pytest.approx(sum(v.npv_pence for v in exact), abs=len(exact))
    assert (
        figures.all_inputs_low_pence == figures.all_inputs_high_pence == figures.shrunk.total_pence
    )
    assert np.isfinite(figures.shrunk.se_pence)
