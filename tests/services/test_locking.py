"""Pre-registration locks, one test per rule (docs/DESIGN.md "Locking")."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from gains.models import (
    Amendment,
    Decision,
    Design,
    Direction,
    Improvement,
    ImprovementKind,
    Status,
)
from gains.services.audit.events import jsonable
from gains.services.improvements import plan_changes, workflow
from gains.services.improvements.locking import LOCK_TABLE, LocksFrom, locked_fields
from gains.services.improvements.plan_changes import LockedFieldError
from gains.services.improvements.workflow import WorkflowError
from gains.services.review.decisions import decide
from tests.support.factories import person, plan, start_with_data

DESIGN_FIELDS = tuple(n for n, lock in LOCK_TABLE.items() if lock.locks_from is LocksFrom.RUNNING)
MONEY_FIELDS = tuple(n for n, lock in LOCK_TABLE.items() if lock.locks_from is LocksFrom.SUBMISSION)
# A new value for every lockable field, different from plan()'s.
NEW_VALUES = {
    "hypothesis": "A two-page letter works better.",
    "metric_name": "Minutes to finish",
    "metric_unit": "s",
    "planned_sample_size": 400,
    "direction": Direction.HIGHER,
    "unit_of_observation": "household",
    "design": Design.PAIRED,
    "expected_effect": -4.0,
    "planned_sd": 6.5,
    "randomised": True,
    "seasonal": True,
    "annual_volume": 12_000,
    "value_per_unit_gbp": Decimal("0.5000"),
    "implementation_cost_pence": 150_000,
    "cashable": True,
    "kind": ImprovementKind.NO_EXTRA_COST,
    "scale": 10,
    "go_live_on": date(2026, 4, 1),
    "ended_on": date(2027, 4, 1),
    "annual_volume_low": 9_000,
    "annual_volume_high": 30_000,
    "value_per_unit_low_gbp": Decimal("0.3500"),
    "value_per_unit_high_gbp": Decimal("0.7000"),
    "expected_life_years": 7,
    "persistence": Decimal("0.5000"),
    "health_outcomes": True,
    "optimism_bias_benefits": Decimal("0.2500"),
    "optimism_bias_costs": Decimal("0.4000"),
}
# Ranges around plan()'s central values, wide enough for NEW_VALUES' central ones.
RANGES = dict(
    annual_volume_low=8_000,
    annual_volume_high=25_000,
    value_per_unit_low_gbp=Decimal("0.30"),
    value_per_unit_high_gbp=Decimal("0.60"),
)


@pytest.fixture
def member(session):
    return person(session, "member")


def in_status(session, member, status: Status) -> Improvement:
    # At no cost, so that the kind and the cost can each change alone.
    improvement = workflow.create_improvement(
        member,
        member.team,
        plan(title=f"Lock {status}", implementation_cost_pence=0, **RANGES),
    )
    if status is Status.DRAFT:
        return improvement
    if status is Status.RUNNING:
        workflow.start(member, improvement)
        return improvement
    start_with_data(member, improvement, [9, 10, 11, 10], [8, 9, 8, 7], submit=True)
    if status is Status.APPROVED:
        decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    return improvement


def test_nothing_is_locked_in_a_draft(session, member):
    improvement = in_status(session, member, Status.DRAFT)
    assert locked_fields(improvement) == frozenset()
    new_values = NEW_VALUES | {"kind": improvement.kind}  # a cost and no extra cost: not both
    changed = plan_changes.update_plan(member, improvement, new_values)
    assert set(changed) == set(NEW_VALUES) - {"kind"}


@pytest.mark.parametrize("field", DESIGN_FIELDS)
def test_design_fields_lock_from_running(session, member, field):
    improvement = in_status(session, member, Status.RUNNING)
    with pytest.raises(LockedFieldError, match="locked"):
        plan_changes.update_plan(member, improvement, {field: NEW_VALUES[field]})


@pytest.mark.parametrize("field", MONEY_FIELDS)
def test_money_fields_stay_open_while_running(session, member, field):
    improvement = in_status(session, member, Status.RUNNING)
    assert plan_changes.update_plan(member, improvement, {field: NEW_VALUES[field]}) == {
        field: NEW_VALUES[field]
    }


@pytest.mark.parametrize("field", MONEY_FIELDS)
def test_money_fields_lock_from_submission(session, member, field):
    improvement = in_status(session, member, Status.SUBMITTED)
    with pytest.raises(LockedFieldError):
        plan_changes.update_plan(member, improvement, {field: NEW_VALUES[field]})


def test_unlocked_fields_still_change_after_submission(session, member):
    improvement = in_status(session, member, Status.SUBMITTED)
    changed = plan_changes.update_plan(member, improvement, {"title": "Shorter letter"})
    assert changed == {"title": "Shorter letter"}


@pytest.mark.parametrize("field", DESIGN_FIELDS + MONEY_FIELDS)
def test_a_locked_field_changes_by_amendment_with_a_reason(session, member, field):
    improvement = in_status(session, member, Status.SUBMITTED)
    version = improvement.data_version
    old = getattr(improvement, field)
    with pytest.raises(WorkflowError, match="Explain why"):
        plan_changes.amend(member, improvement, field, NEW_VALUES[field], "  ")
    amendment = plan_changes.amend(
        member, improvement, field, NEW_VALUES[field], "Agreed with finance"
    )
    session.flush()
    assert getattr(improvement, field) == NEW_VALUES[field]
    assert amendment.reason == "Agreed with finance"
    assert amendment.old_value == jsonable(old)
    assert improvement.data_version == version + 1
    assert improvement.status is Status.SUBMITTED


def test_amending_an_unlocked_field_is_refused(session, member):
    improvement = in_status(session, member, Status.RUNNING)
    with pytest.raises(WorkflowError, match="not locked"):
        plan_changes.amend(member, improvement, "annual_volume", 5, "because")


def test_amendments_still_obey_the_plan_rules(session, member):
    improvement = in_status(session, member, Status.SUBMITTED)
    with pytest.raises(WorkflowError, match="Annual volume must be between"):
        plan_changes.amend(member, improvement, "annual_volume", 0, "typo")


def test_an_amendment_after_approval_reopens_review(session, member):
    improvement = in_status(session, member, Status.APPROVED)
    approved = improvement.reviews[-1]
    plan_changes.amend(member, improvement, "annual_volume", 20_000, "Volume was under-counted")
    session.flush()
    assert improvement.status is Status.SUBMITTED
    # Until re-approved, the approval's snapshot is still the validated figure.
    assert approved.snapshot["money"]["annual_volume"] == 10_000
    history = session.scalars(
        select(Amendment).where(Amendment.improvement_id == improvement.id)
    ).all()
    assert [(a.field_name, a.old_value, a.new_value) for a in history] == [
        ("annual_volume", 10_000, 20_000)
    ]


def test_a_range_and_a_life_change_after_submission_only_by_amendment(session, member):
    """Issue 20: the ranges and the appraisal terms lock at submission like the central
    values; an amendment keeps each changed field with the reason, in one data version."""
    improvement = in_status(session, member, Status.SUBMITTED)
    version = improvement.data_version
    with pytest.raises(LockedFieldError, match="locked"):
        plan_changes.update_plan(member, improvement, {"expected_life_years": 4})
    amendments = plan_changes.amend_fields(
        member,
        improvement,
        {"annual_volume_low": 6_000, "annual_volume_high": 16_000, "annual_volume": 10_000},
        "Finance's forecast range",
    )
    plan_changes.amend(member, improvement, "expected_life_years", 4, "Embedded in guidance")
    session.flush()
    assert [(a.field_name, a.old_value, a.new_value) for a in amendments] == [
        ("annual_volume_low", 8_000, 6_000),
        ("annual_volume_high", 25_000, 16_000),
    ]
    assert (improvement.annual_volume_low, improvement.expected_life_years) == (6_000, 4)
    assert improvement.data_version == version + 2


def test_an_amended_range_must_still_lie_around_its_central_value(session, member):
    improvement = in_status(session, member, Status.SUBMITTED)
    with pytest.raises(WorkflowError, match="low annual volume must be at most"):
        plan_changes.amend(member, improvement, "annual_volume_low", 11_000, "typo")
    with pytest.raises(WorkflowError, match="both the low and the high value per unit"):
        plan_changes.amend(member, improvement, "value_per_unit_high_gbp", None, "no range")
    assert improvement.annual_volume_low == 8_000
    assert not session.scalars(
        select(Amendment).where(Amendment.improvement_id == improvement.id)
    ).all()


def test_a_range_or_life_amended_after_approval_reopens_review(session, member):
    improvement = in_status(session, member, Status.APPROVED)
    approved = improvement.reviews[-1]
    plan_changes.amend_fields(
        member,
        improvement,
        {"value_per_unit_low_gbp": Decimal("0.20"), "value_per_unit_high_gbp": Decimal("0.90")},
        "Unit costs revised",
    )
    session.flush()
    assert improvement.status is Status.SUBMITTED
    # The approval keeps what it approved, in its snapshot and its columns.
    assert approved.value_per_unit_low_gbp == Decimal("0.30")
    assert approved.snapshot["money"]["value_per_unit_high_gbp"] == "0.6000"
    decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    plan_changes.amend(member, improvement, "expected_life_years", 8, "Now in the manual")
    session.flush()
    assert improvement.status is Status.SUBMITTED
    assert improvement.reviews[-1].expected_life_years == 3
