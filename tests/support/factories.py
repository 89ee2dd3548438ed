"""Test data made through the services: demo people, a plan, rows, an improvement started
with data. Shared by the tests of every layer (they once imported these from a test module).
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from gains.models import (
    BatchSource,
    Design,
    Direction,
    Improvement,
    ImprovementKind,
    Pillar,
    Role,
    User,
)
from gains.services.improvements import workflow
from gains.services.improvements.workflow import ImprovementPlan
from gains.services.measurements.recording import record_batch
from gains.services.people.accounts import create_user
from gains.services.people.organisation import create_department, create_team
from tests.conftest import DEMO_LOGINS


def person(session, role_or_email: str) -> User:
    """A demo person by role ("member", as in DEMO_LOGINS) or by email address."""
    email = DEMO_LOGINS.get(role_or_email, role_or_email)
    return session.scalars(select(User).where(User.email == email)).one()


def plan(**changes) -> ImprovementPlan:
    fields = dict(
        title="Shorter renewal letter",
        kind=ImprovementKind.MARGINAL_GAIN,
        pillar=Pillar.ENGAGING_USERS,
        hypothesis="A one-page letter gets more renewals back on time.",
        metric_name="Time to complete",
        metric_unit="min",
        direction=Direction.LOWER,
        unit_of_observation="renewal",
        design=Design.BEFORE_AFTER,
        implementation_cost_pence=120_000,
        annual_volume=10_000,
        value_per_unit_gbp=Decimal("0.45"),
        go_live_on=date(2026, 5, 1),
    )
    fields.update(changes)
    return ImprovementPlan(**fields)


def rows(phase, values):
    return [{"phase": phase, "value": v} for v in values]


def start_with_data(user, improvement, before, after, *, submit=False):
    """Start an improvement, log one before/after batch, and optionally submit it."""
    workflow.start(user, improvement)
    record_batch(
        user, improvement, rows("before", before) + rows("after", after), source=BatchSource.FORM
    )
    if submit:
        workflow.submit(user, improvement)
    return improvement


def running_improvement_of_a_new_team(code: str, name: str, title: str):
    """A department and team of their own (`code`), a member `name`@example.org and a
    running improvement of theirs: what the tests that race writers on their own database
    start from."""
    department = create_department(None, name=f"Department {code}", code=code)
    team = create_team(None, department=department, name=f"Team {code}")
    member = create_user(
        None,
        email=f"{name}@example.org",
        name=name.title(),
        role=Role.MEMBER,
        team=team,
        password=None,
    )
    improvement = workflow.create_improvement(
        member, team, plan(title=title, go_live_on=date(2026, 1, 5))
    )
    workflow.start(member, improvement)
    return member, improvement


def late_rows(n: int) -> list[dict]:
    """After-phase rows dated like the demo's (its estimates read every row's date)."""
    return [
        {"phase": "after", "value": 20.0 + i, "observed_on": date(2026, 10, 20)} for i in range(n)
    ]


def submitted_by(session, user: User, title: str) -> Improvement:
    own = workflow.create_improvement(user, user.team, plan(title=title))
    start_with_data(user, own, [30, 34, 41], [28, 30, 31], submit=True)
    session.flush()
    return own
