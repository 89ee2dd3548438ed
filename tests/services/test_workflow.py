"""The status workflow, batches and reviews, each rule tested without a request."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gains.models import (
    AuditEvent,
    BatchSource,
    Decision,
    Design,
    Improvement,
    ImprovementKind,
    Measurement,
    Review,
    Status,
    Team,
)
from gains.services.improvements import workflow
from gains.services.improvements.workflow import PermissionDenied, WorkflowError
from gains.services.measurements.recording import RowsRejected, record_batch
from gains.services.review.decisions import decide
from tests.support.factories import person, plan, rows, start_with_data


@pytest.fixture
def member(session):
    return person(session, "member")


@pytest.fixture
def improvement(session, member):
    created = workflow.create_improvement(member, member.team, plan())
    session.flush()
    return created


def events(session, improvement):
    return session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "improvements", AuditEvent.entity_id == improvement.id)
        .order_by(AuditEvent.id)
    ).all()


def test_full_path_to_approval_writes_an_audit_trail(session, member, improvement):
    workflow.start(member, improvement)
    record_batch(
        member, improvement, rows("before", [30, 31, 29, 33, 30, 32]), source=BatchSource.FORM
    )
    record_batch(
        member,
        improvement,
        rows("after", [25, 26, 24, 27, 25, 26]),
        source=BatchSource.CSV,
        filename="after.csv",
    )
    workflow.submit(member, improvement)
    review = decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    session.flush()
    assert improvement.status is Status.APPROVED
    assert improvement.data_version == 2
    assert review.snapshot["estimate"]["method"]
    assert review.gain == pytest.approx(review.snapshot["estimate"]["gain"])
    assert review.gain > 0  # lower is better and the values fell
    # gain / scale × volume × £ per unit, in pounds
    assert review.annual_saving_gbp == pytest.approx(
        Decimal(str(round(review.gain * 10_000 * 0.45, 2))), abs=Decimal("0.01")
    )
    assert events(session, improvement) == [
        "improvement.created",
        "improvement.start",
        "improvement.submit",
        "review.approved",
    ]


def test_no_extra_cost_must_cost_nothing(member):
    with pytest.raises(WorkflowError, match="no extra cost must have an implementation cost of £0"):
        workflow.create_improvement(member, member.team, plan(kind=ImprovementKind.NO_EXTRA_COST))


def test_end_date_must_follow_go_live(member):
    with pytest.raises(WorkflowError, match="after the go-live date"):
        workflow.create_improvement(member, member.team, plan(ended_on=date(2026, 4, 1)))


def test_member_cannot_register_for_another_team(session, member):
    other_team = session.scalars(select(Team).where(Team.name == "Casework")).one()
    with pytest.raises(PermissionDenied):
        workflow.create_improvement(member, other_team, plan())


def test_treasury_cannot_change_anything(session, improvement):
    with pytest.raises(PermissionDenied):
        workflow.start(person(session, "treasury"), improvement)


def test_submit_lists_what_is_missing(member, improvement):
    workflow.start(member, improvement)
    with pytest.raises(WorkflowError) as raised:
        workflow.submit(member, improvement)
    assert "Add measurements from after the change" in str(raised.value)
    assert "Add measurements from before the change" in str(raised.value)


def test_paired_design_needs_units_in_both_phases(session, member):
    improvement = workflow.create_improvement(
        member, member.team, plan(design=Design.PAIRED, title="Paired one")
    )
    workflow.start(member, improvement)
    record_batch(
        member,
        improvement,
        [
            {"phase": "before", "value": 1, "unit_ref": "A"},
            {"phase": "after", "value": 2, "unit_ref": "B"},
        ],
        source=BatchSource.FORM,
    )
    with pytest.raises(WorkflowError, match="same unit references before and after"):
        workflow.submit(member, improvement)


def test_drafts_take_no_data_and_transitions_follow_the_workflow(member, improvement):
    with pytest.raises(WorkflowError, match="while the improvement is draft"):
        record_batch(member, improvement, rows("before", [1]), source=BatchSource.FORM)
    workflow.start(member, improvement)
    with pytest.raises(WorkflowError, match="An improvement that is running cannot be started"):
        workflow.start(member, improvement)
    with pytest.raises(WorkflowError, match="Say why"):
        workflow.withdraw(member, improvement, " ")
    workflow.withdraw(member, improvement, "changed our minds")
    with pytest.raises(WorkflowError, match="withdrawn cannot be withdrawn"):
        workflow.withdraw(member, improvement, "again")


def test_a_bad_row_rejects_the_whole_batch(session, member, improvement):
    workflow.start(member, improvement)
    before = session.scalar(select(func.count()).select_from(Measurement))
    with pytest.raises(RowsRejected) as raised:
        record_batch(
            member,
            improvement,
            [
                {"phase": "before", "value": "12"},
                {"phase": "during", "value": "x"},
                {"phase": "after", "value": "inf", "group": "placebo"},
            ],
            source=BatchSource.CSV,
        )
    problems = {(e.line, e.column, e.message) for e in raised.value.errors}
    assert problems == {
        (2, "phase", "Enter before or after"),
        (2, "value", "Enter a number"),
        (3, "value", "Enter a finite number"),
        (3, "group", "Enter treatment or control"),
    }
    assert session.scalar(select(func.count()).select_from(Measurement)) == before
    assert improvement.data_version == 0


def test_new_data_after_approval_reopens_review(session):
    reopened = session.scalars(
        select(Improvement).where(Improvement.title == "Wrap-up codes reduced from 40 to 12")
    ).one()
    assert reopened.status is Status.SUBMITTED
    approvals = [r for r in reopened.reviews if r.decision is Decision.APPROVED]
    assert approvals and approvals[-1].data_version < reopened.data_version
    assert "improvement.reopened" in events(session, reopened)


def test_review_rules(session, member, improvement):
    start_with_data(member, improvement, [3, 4, 5], [2, 3, 2], submit=True)
    manager = person(session, "manager")
    with pytest.raises(PermissionDenied):
        decide(member, improvement, Decision.APPROVED, "")
    other_manager = person(session, "manager.hlt@example.org")
    with pytest.raises(PermissionDenied):
        decide(other_manager, improvement, Decision.APPROVED, "")
    with pytest.raises(WorkflowError, match="Explain your decision"):
        decide(manager, improvement, Decision.CHANGES_REQUESTED, "   ")
    review = decide(manager, improvement, Decision.CHANGES_REQUESTED, "Add a month of data.")
    assert improvement.status is Status.CHANGES_REQUESTED
    assert review.snapshot is None
    # Resubmission goes back to the queue.
    workflow.submit(member, improvement)
    assert improvement.status is Status.SUBMITTED


def test_an_approval_beyond_a_bankable_saving_is_refused_and_writes_nothing(session, member):
    # Every input within its own bound, multiplying into £10^16 a year: once a 500 on
    # PostgreSQL (numeric overflow in reviews.annual_saving_se_gbp), now a refusal.
    improvement = workflow.create_improvement(
        member,
        member.team,
        plan(title="At every bound", annual_volume=10**10, value_per_unit_gbp=Decimal("1000000")),
    )
    start_with_data(member, improvement, [3e6, 4e6, 5e6], [2e6, 3e6, 2e6], submit=True)
    session.flush()
    reviews_before = session.scalar(select(func.count()).select_from(Review))
    with pytest.raises(WorkflowError, match="beyond £1,000,000,000,000 a year"):
        decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    assert improvement.status is Status.SUBMITTED
    assert session.scalar(select(func.count()).select_from(Review)) == reviews_before


def test_managers_cannot_review_their_own_improvement(session):
    manager = person(session, "manager")
    own = workflow.create_improvement(manager, manager.team, plan(title="Manager's own"))
    start_with_data(manager, own, [3, 4, 5], [2, 3, 2], submit=True)
    with pytest.raises(PermissionDenied):
        decide(manager, own, Decision.APPROVED, "")


def test_only_drafts_are_deleted(session, member, improvement):
    improvement_id = improvement.id
    workflow.delete_draft(member, improvement)
    session.flush()
    assert session.get(Improvement, improvement_id) is None
    running = session.scalars(
        select(Improvement).where(
            Improvement.status == Status.RUNNING, Improvement.team_id == member.team_id
        )
    ).first()
    with pytest.raises(WorkflowError, match="Only drafts can be deleted"):
        workflow.delete_draft(member, running)


def test_database_constraints_back_the_rules(session, member):
    from sqlalchemy.exc import IntegrityError

    improvement = Improvement(
        team=member.team,
        department_id=member.team.department_id,
        created_by_id=member.id,
        implementation_cost_pence=500,
        **{
            k: v
            for k, v in vars(plan(kind=ImprovementKind.NO_EXTRA_COST, title="Sneaky")).items()
            if k != "implementation_cost_pence"
        },
    )
    session.add(improvement)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_reviews_need_comments_unless_approving_at_database_level(session):
    from sqlalchemy.exc import IntegrityError

    improvement = session.scalars(select(Improvement)).first()
    session.add(
        Review(
            improvement=improvement,
            reviewer_id=person(session, "manager").id,
            decision=Decision.REJECTED,
            comment=None,
            data_version=0,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_new_data_computes_the_estimate_in_the_same_transaction(session, member, improvement):
    from gains.models import Estimate

    start_with_data(member, improvement, [5, 6, 7], [4, 5, 4])
    cached = session.scalars(
        select(Estimate).where(
            Estimate.improvement_id == improvement.id,
            Estimate.data_version == improvement.data_version,
        )
    ).one()
    assert cached.method == "welch"


def test_dashboards_read_only_cached_estimates(session):
    from gains.models import Estimate
    from gains.services.money.savings import claimed_rows

    running = session.scalars(select(Improvement).where(Improvement.status == Status.RUNNING)).all()
    only_running = Improvement.status == Status.RUNNING
    assert {c.improvement_id for c in claimed_rows(only_running)}
    for estimate in session.scalars(
        select(Estimate).where(Estimate.improvement_id.in_([i.id for i in running]))
    ):
        session.delete(estimate)
    session.flush()
    assert claimed_rows(only_running) == []
    assert (
        session.scalar(
            select(func.count())
            .select_from(Estimate)
            .where(Estimate.improvement_id.in_([i.id for i in running]))
        )
        == 0
    )
