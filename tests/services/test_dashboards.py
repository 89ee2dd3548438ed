"""The department dashboard's numbers, pinned to values computed here by hand."""

import math

import pytest
from scipy import stats
from sqlalchemy import select

from gains.models import Department, Design, Improvement, Status
from gains.services.dashboards.department import department_dashboard
from tests.support.validated import standing_approvals


def approved_snapshots(session, code):
    department = session.scalars(select(Department).where(Department.code == code)).one()
    return department, standing_approvals(session, {code})


def level_2(improvement, method):
    """docs/DESIGN.md "Evidence levels", restated: no comparison group, or one measured only
    after the change without random assignment."""
    return method in ("welch", "paired") or (
        method == "treatment_vs_control" and not improvement.randomised
    )


def dersimonian_laird(g, v):
    """The textbook DL estimator (DerSimonian & Laird 1986), written out independently."""
    w = [1 / x for x in v]
    mean_fixed = sum(wi * gi for wi, gi in zip(w, g, strict=True)) / sum(w)
    q = sum(wi * (gi - mean_fixed) ** 2 for wi, gi in zip(w, g, strict=True))
    c = sum(w) - sum(wi**2 for wi in w) / sum(w)
    tau2 = max(0.0, (q - (len(g) - 1)) / c)
    w_star = [1 / (x + tau2) for x in v]
    pooled = sum(wi * gi for wi, gi in zip(w_star, g, strict=True)) / sum(w_star)
    return pooled, math.sqrt(1 / sum(w_star)), tau2, q, w_star


def hartung_knapp_se(g, w_star, pooled, se):
    """HKSJ (Hartung & Knapp 2001): the variance scaled by Σw*(g - μ̂)²/(k - 1)."""
    scaling = sum(w * (gi - pooled) ** 2 for w, gi in zip(w_star, g, strict=True)) / (len(g) - 1)
    return se * math.sqrt(scaling)


@pytest.mark.parametrize("include_level_2", [False, True])
@pytest.mark.parametrize("code", ["REV", "HLT", "WKP", "CTY"])
def test_pooled_effect_matches_dersimonian_laird_by_hand(session, code, include_level_2):
    department, rows = approved_snapshots(session, code)
    studies = [
        (review.snapshot["estimate"]["hedges_g"], review.snapshot["estimate"]["hedges_g_variance"])
        for improvement, review in rows
        if improvement.design is not Design.TIME_SERIES
        and review.snapshot["estimate"]["hedges_g"] is not None
        # Level 2 (before and after, or a comparison group seen only after the change and
        # not randomised) is pooled only on request.
        and (include_level_2 or not level_2(improvement, review.snapshot["estimate"]["method"]))
    ]
    dashboard = department_dashboard(department, include_level_2=include_level_2)
    assert len(dashboard.pooling.studies) == len(studies)
    if len(studies) < 3:
        assert dashboard.pooling.result is None
        assert "at least 3" in dashboard.pooling.reason
        return
    g = [g for g, _ in studies]
    pooled, se, tau2, q, w_star = dersimonian_laird(g, [v for _, v in studies])
    hksj_se = hartung_knapp_se(g, w_star, pooled, se)
    result = dashboard.pooling.result
    assert result.ci_method == "knha" and result.df == len(studies) - 1
    assert result.estimate == pytest.approx(pooled, rel=1e-9)
    assert result.se == pytest.approx(hksj_se, rel=1e-9)
    assert result.tau2 == pytest.approx(tau2, rel=1e-9, abs=1e-12)
    assert result.q == pytest.approx(q, rel=1e-9)
    t_critical = stats.t.ppf(0.975, len(studies) - 1)
    assert result.ci_low == pytest.approx(pooled - t_critical * hksj_se, rel=1e-9)


def test_validated_total_and_band_by_hand(session):
    department, every = approved_snapshots(session, "REV")
    # Validated: evidence level 3 and above; level 2 is reported apart.
    rows = [(i, r) for i, r in every if r.evidence_level >= 3]
    savings = [review.snapshot["annual_saving"] for _, review in rows]
    total = sum(s["annual_saving_pence"] for s in savings)
    se = math.sqrt(sum(s["se_pence"] ** 2 for s in savings))
    dashboard = department_dashboard(department)
    assert dashboard.validated.total_pence == total
    assert dashboard.validated.n_items == len(rows) < len(every)
    assert dashboard.reported.raw.n_items == len(every) - len(rows)
    # The band combines the input ranges with the statistical ±z·SE (ranged_total): about
    # as wide, a little wider (the Monte Carlo ends move by about 2 % of the width).
    band = dashboard.validated
    width = band.band_high_pence - band.band_low_pence
    assert band.band_low_pence < total < band.band_high_pence
    assert 0.9 < width / (2 * 1.959963984540054 * se) < 1.5
    cashable = sum(
        s["annual_saving_pence"]
        for (_, r), s in zip(rows, savings, strict=True)
        if r.snapshot["money"]["cashable"]
    )
    assert dashboard.validated_by_cashable["cashable"].total_pence == cashable


def test_reopened_improvement_keeps_its_validated_figure(session):
    department, rows = approved_snapshots(session, "REV")
    reopened = [imp for imp, _ in rows if imp.status is Status.SUBMITTED]
    assert [imp.title for imp in reopened] == ["Wrap-up codes reduced from 40 to 12"]
    dashboard = department_dashboard(department)
    assert reopened[0].id in {row.improvement_id for row in dashboard.validated_items}


def test_status_counts_cover_every_improvement(session):
    department = session.scalars(select(Department).where(Department.code == "WKP")).one()
    dashboard = department_dashboard(department)
    total = len(
        session.scalars(
            select(Improvement.id).where(Improvement.department_id == department.id)
        ).all()
    )
    assert sum(count for _, count in dashboard.status_counts) == total
    assert sum(row.count for row in dashboard.by_pillar) == total


def test_level_2_is_left_out_of_pooling_unless_asked_and_the_page_counts_it(session):
    counted = 0
    for code in ("REV", "HLT", "WKP", "CTY"):
        department, rows = approved_snapshots(session, code)
        level_2 = [
            improvement.id
            for improvement, review in rows
            if review.evidence_level == 2 and improvement.design is not Design.TIME_SERIES
        ]
        default = department_dashboard(department).pooling
        asked = department_dashboard(department, include_level_2=True).pooling
        assert default.excluded_level_2 == len(level_2) and asked.excluded_level_2 == 0
        assert not {study.improvement_id for study in default.studies} & set(level_2)
        assert {s.improvement_id for s in asked.studies} >= {
            s.improvement_id for s in default.studies
        }
        counted += len(level_2)
    assert counted, "the demo should have approved before/after improvements"


def test_the_demo_has_a_department_to_pool(session):
    pooled = [
        code
        for code in ("REV", "HLT", "WKP", "CTY")
        if department_dashboard(
            session.scalars(select(Department).where(Department.code == code)).one()
        ).pooling.result
        is not None
    ]
    assert pooled, "the demo should show pooling somewhere"


def test_each_pooled_effect_names_its_designs_standardiser(session):
    """One standardiser per design: independent groups divide by the pooled SD (SMD), designs
    that follow units or groups over time by the before-period SD (SMCR); the pool says which
    it mixes."""
    by_method = {"welch": "smd", "treatment_vs_control": "smd", "paired": "smcr", "did": "smcr"}
    department, rows = approved_snapshots(session, "CTY")
    methods = {
        improvement.id: review.snapshot["estimate"]["method"] for improvement, review in rows
    }
    # With the before/after-only (level 2) improvements, which are pooled only on request:
    # CTY's pool then mixes both standardisers.
    pooling = department_dashboard(department, include_level_2=True).pooling
    assert pooling.result is not None
    for study in pooling.studies:
        assert study.standardiser == by_method[methods[study.improvement_id]]
    assert pooling.standardisers == [
        ("SMCR: the before-period SD", 2),
        ("SMD: the pooled SD of the two groups compared", 2),
    ]
