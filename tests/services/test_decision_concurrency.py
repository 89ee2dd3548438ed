"""A manager's decision racing a member's new rows (PostgreSQL, real commits; see
test_measurement_concurrency): whatever the order, an approved improvement's latest approval
is of its current data version, and nothing the member sent is lost."""

from __future__ import annotations

import threading
from datetime import date

import flask_migrate
import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import BatchSource, Decision, Improvement, Review, Role, Status, User
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch
from gains.services.people.accounts import create_user
from gains.services.people.organisation import create_department, create_team
from gains.services.review.decisions import DataChanged, decide
from tests.conftest import make_test_app
from tests.support.factories import plan, rows, start_with_data
from tests.support.postgres import fresh_database

RUNS = 10


@pytest.fixture
def review_race(request):
    app = make_test_app(fresh_database(request, "gains_decision_race"))
    with app.app_context():
        flask_migrate.upgrade()
        department = create_department(None, name="Racing", code="RACE")
        team = create_team(None, department=department, name="Pit crew")
        people = {
            role: create_user(
                None,
                email=f"{role.value}@example.org",
                name=role.value.title(),
                role=role,
                team=team,
                password=None,
            )
            for role in (Role.MEMBER, Role.MANAGER)
        }
        improvement_ids = []
        for run in range(RUNS):
            improvement = workflow.create_improvement(
                people[Role.MEMBER],
                team,
                plan(title=f"Race {run}", go_live_on=date(2026, 1, 5)),
            )
            start_with_data(
                people[Role.MEMBER], improvement, [5, 6, 7, 6], [3, 4, 3, 4], submit=True
            )
            improvement_ids.append(improvement.id)
        db.session.commit()
        ids = people[Role.MEMBER].id, people[Role.MANAGER].id, improvement_ids
        db.session.remove()
    yield app, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def race(app, member_id: int, manager_id: int, improvement_id: int, *, send_seen: bool) -> str:
    """Approve and add rows at the same moment; the decision's outcome."""
    ready = threading.Barrier(2, timeout=30)
    outcome: list[str] = []
    failures: list[BaseException] = []

    def approve() -> None:
        try:
            with app.app_context():
                manager = db.session.get(User, manager_id)
                improvement = db.session.get(Improvement, improvement_id)
                seen = improvement.data_version  # what the review page showed
                ready.wait()
                try:
                    decide(
                        manager,
                        improvement,
                        Decision.APPROVED,
                        "",
                        **({"seen_data_version": seen} if send_seen else {}),
                    )
                    db.session.commit()
                    outcome.append("approved")
                except DataChanged:
                    db.session.rollback()
                    outcome.append("refused")
                db.session.remove()
        except BaseException as error:  # reported below, with the thread's traceback
            failures.append(error)

    def add_rows() -> None:
        try:
            with app.app_context():
                member = db.session.get(User, member_id)
                improvement = db.session.get(Improvement, improvement_id)
                ready.wait()
                record_batch(member, improvement, rows("after", [2, 3]), source=BatchSource.API)
                db.session.commit()
                db.session.remove()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=approve), threading.Thread(target=add_rows)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return outcome[0]


@pytest.mark.parametrize("send_seen", [False, True], ids=["current version", "version seen"])
def test_an_approval_is_always_of_the_current_data(review_race, send_seen):
    app, (member_id, manager_id, improvement_ids) = review_race
    outcomes = [
        race(app, member_id, manager_id, improvement_id, send_seen=send_seen)
        for improvement_id in improvement_ids
    ]
    with app.app_context():
        for improvement_id, outcome in zip(improvement_ids, outcomes, strict=True):
            improvement = db.session.get(Improvement, improvement_id)
            approvals = db.session.scalars(
                select(Review)
                .where(Review.improvement_id == improvement_id)
                .order_by(Review.decided_at.desc(), Review.id.desc())
            ).all()
            assert improvement.data_version == 2, "the member's rows were lost"
            if improvement.status is Status.APPROVED:
                # The invariant: approved ⇒ approved at the current data version.
                assert approvals[0].data_version == improvement.data_version, outcomes
            else:
                # Approved, then reopened by the rows that came after; or refused.
                assert improvement.status is Status.SUBMITTED
            for approval in approvals:
                assert approval.snapshot["data_version"] == approval.data_version
            if outcome == "refused":
                assert send_seen and approvals == []
