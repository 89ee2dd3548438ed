"""Issue 20's money terms as data: the ranges and the appraisal terms on the plan (kind
defaults, the rules, the database's checks), the approved terms as review columns, and the
estimate's evidence level as a column."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from gains.improvements.presenters import appraisal_text, value_per_unit_text
from gains.models import (
    APPRAISAL_DEFAULTS,
    Decision,
    Estimate,
    Improvement,
    ImprovementKind,
    Review,
)
from gains.services.estimates.current import refresh_estimate
from gains.services.estimates.recompute import recompute_all
from gains.services.improvements import workflow
from gains.services.improvements.workflow import WorkflowError
from gains.services.review.decisions import decide
from gains.stats.evidence import level_of_document
from tests.support.factories import person, plan, start_with_data

RANGE = dict(
    annual_volume_low=8_000,
    annual_volume_high=12_000,
    value_per_unit_low_gbp=Decimal("0.30"),
    value_per_unit_high_gbp=Decimal("0.55"),
)


@pytest.fixture
def member(session):
    return person(session, "member")


@pytest.mark.parametrize(
    ("kind", "life", "persistence"),
    [(ImprovementKind.MARGINAL_GAIN, 3, "0.80"), (ImprovementKind.NO_EXTRA_COST, 5, "0.90")],
)
def test_registration_fills_the_appraisal_terms_from_the_kind(
    session, member, kind, life, persistence
):
    improvement = workflow.create_improvement(
        member, member.team, plan(kind=kind, implementation_cost_pence=0)
    )
    session.flush()
    session.refresh(improvement)
    assert improvement.expected_life_years == life
    assert improvement.persistence == Decimal(persistence)
    assert improvement.health_outcomes is False
    assert improvement.optimism_bias_benefits == Decimal("0.15")
    assert improvement.optimism_bias_costs == Decimal("0.10")
    assert APPRAISAL_DEFAULTS[kind].expected_life_years == life


def test_terms_given_at_registration_are_kept(session, member):
    improvement = workflow.create_improvement(
        member,
        member.team,
        plan(expected_life_years=10, persistence=Decimal("0.5"), health_outcomes=True, **RANGE),
    )
    session.flush()
    session.refresh(improvement)
    assert (improvement.expected_life_years, improvement.persistence) == (10, Decimal("0.5"))
    assert improvement.health_outcomes is True
    assert improvement.annual_volume_low == 8_000


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"annual_volume_low": 8_000}, "both the low and the high annual volume"),
        ({"value_per_unit_high_gbp": Decimal("1")}, "both the low and the high value per unit"),
        (RANGE | {"annual_volume": None}, "annual volume itself before its low and high"),
        (RANGE | {"annual_volume_low": 10_001}, "low annual volume must be at most"),
        (RANGE | {"value_per_unit_high_gbp": Decimal("0.44")}, "high at least it"),
        ({"expected_life_years": 31}, "Expected life must be between 1 and 30"),
        ({"expected_life_years": 0}, "Expected life must be between 1 and 30"),
        ({"persistence": Decimal("1.01")}, "remains each year must be between 0 % and 100 %"),
        ({"optimism_bias_benefits": Decimal("0.96")}, "between 0 % and 95 %"),
        ({"optimism_bias_costs": Decimal("2.0001")}, "between 0 % and 200 %"),
        ({"persistence": Decimal("0.12345")}, "at most 4 decimal places"),
    ],
)
def test_bad_ranges_and_terms_are_refused_and_write_nothing(session, member, changes, message):
    before = session.scalars(select(Improvement.id)).all()
    with pytest.raises(WorkflowError, match=message):
        workflow.create_improvement(member, member.team, plan(**changes))
    session.flush()
    assert session.scalars(select(Improvement.id)).all() == before


@pytest.mark.parametrize(
    "values",
    [
        {"annual_volume_low": 8_000},  # one end only
        {"annual_volume_low": 11_000, "annual_volume_high": 12_000},  # above the centre
        {"value_per_unit_low_gbp": Decimal("0.30"), "value_per_unit_high_gbp": Decimal("0.40")},
        {"expected_life_years": 31},
        {"persistence": Decimal("1.5")},
        {"optimism_bias_benefits": Decimal("0.96")},
        {"optimism_bias_costs": Decimal("-0.1")},
    ],
)
def test_the_database_refuses_what_the_rules_refuse(session, member, values):
    improvement = workflow.create_improvement(member, member.team, plan(title="Checked"))
    session.flush()
    with pytest.raises(IntegrityError):
        session.execute(update(Improvement).where(Improvement.id == improvement.id).values(values))
    session.rollback()


def test_an_approval_keeps_the_terms_it_approved_as_columns_and_in_its_snapshot(session, member):
    improvement = workflow.create_improvement(
        member,
        member.team,
        plan(title="Priced", persistence=Decimal("0.7"), health_outcomes=True, **RANGE),
    )
    start_with_data(member, improvement, [9, 10, 11, 10], [8, 9, 8, 7], submit=True)
    review = decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    session.flush()
    session.refresh(review)
    money = review.snapshot["money"]
    for name in (
        "scale",
        "annual_volume",
        "annual_volume_low",
        "annual_volume_high",
        "implementation_cost_pence",
        "expected_life_years",
        "health_outcomes",
    ):
        assert getattr(review, name) == getattr(improvement, name), name
        assert money[name] == getattr(improvement, name), name
    for name in (
        "value_per_unit_gbp",
        "value_per_unit_low_gbp",
        "value_per_unit_high_gbp",
        "persistence",
        "optimism_bias_benefits",
        "optimism_bias_costs",
    ):
        assert getattr(review, name) == getattr(improvement, name), name
        assert Decimal(money[name]) == getattr(improvement, name), name
    assert (review.persistence, review.health_outcomes) == (Decimal("0.7"), True)
    rejected = session.scalars(select(Review).where(Review.decision != Decision.APPROVED)).all()
    assert rejected and all(r.expected_life_years is None for r in rejected)


def test_every_stored_estimate_carries_its_documents_evidence_level(session):
    """The seed wrote its estimates one improvement at a time; recompute-all writes them by
    the fast path: both copy the document's level, and agree."""

    def levels():
        session.expire_all()
        estimates = session.scalars(select(Estimate)).all()
        assert estimates and all(e.evidence_level == level_of_document(e.result) for e in estimates)
        return {e.improvement_id: e.evidence_level for e in estimates}

    one_by_one = levels()
    assert set(one_by_one.values()) >= {2, 3, 5}
    recompute_all()
    session.flush()
    assert levels() == one_by_one
    # and one improvement's write path, after its stored estimate is gone
    improvement_id = next(iter(one_by_one))
    session.execute(delete(Estimate).where(Estimate.improvement_id == improvement_id))
    refresh_estimate(session.get(Improvement, improvement_id))
    session.flush()
    assert levels() == one_by_one


def test_the_page_words_the_terms_plainly(session, member):
    improvement = workflow.create_improvement(member, member.team, plan(title="Words", **RANGE))
    session.flush()
    session.refresh(improvement)
    assert appraisal_text(improvement) == (
        "Expected life: 3 years; 80% of the gain remains each year; discounted at 3.5% a"
        " year; optimism bias: benefits \u221215%, cost +10%"
    )
    assert value_per_unit_text(improvement) == "£0.45 (range £0.30 to £0.55) per minute"
    improvement.health_outcomes = True
    assert "discounted at 1.5% a year (the Green Book rate for health outcomes)" in (
        appraisal_text(improvement)
    )
