"""The one scoping function: who reads and writes which department's records.

Expectations are written out by hand from docs/DESIGN.md "Who uses it", against the demo
register (member: Benefit renewals team, Work and Pensions; manager: Work and Pensions).
"""

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import literal, select

from gains.access import OWNERSHIP, scoped
from gains.models import (
    Amendment,
    AuditEvent,
    Base,
    Department,
    Estimate,
    Improvement,
    Measurement,
    Review,
    Team,
    UploadBatch,
    User,
)
from tests.support.factories import person

ALL = {"REV", "HLT", "WKP", "CTY"}


def departments_of_improvements(session, who, write=False):
    rows = session.scalars(scoped(select(Improvement), who, write=write)).all()
    return {imp.department.code for imp in rows}, {imp.team.name for imp in rows}


# role -> (departments read, teams read, departments written, teams written)
IMPROVEMENT_EXPECTATIONS = {
    "member": ({"WKP"}, {"Benefit renewals"}, {"WKP"}, {"Benefit renewals"}),
    "manager": (
        {"WKP"},
        {"Benefit renewals", "Casework"},
        {"WKP"},
        {"Benefit renewals", "Casework"},
    ),
    "treasury": (ALL, None, set(), set()),
    "admin": (ALL, None, ALL, None),
}


@pytest.mark.parametrize("role_name", list(IMPROVEMENT_EXPECTATIONS))
def test_improvements_by_role(session, role_name):
    who = person(session, role_name)
    read_departments, read_teams, write_departments, write_teams = IMPROVEMENT_EXPECTATIONS[
        role_name
    ]
    departments, teams = departments_of_improvements(session, who)
    assert departments == read_departments
    if read_teams is not None:
        assert teams == read_teams
    departments, teams = departments_of_improvements(session, who, write=True)
    assert departments == write_departments
    if write_teams is not None:
        assert teams == write_teams


def test_anonymous_sees_nothing(session):
    anonymous = AnonymousUserMixin()
    for model in OWNERSHIP:
        assert session.scalars(scoped(select(model), anonymous)).all() == []


@pytest.mark.parametrize("model", [UploadBatch, Measurement, Estimate, Review, Amendment])
@pytest.mark.parametrize("role_name", ["member", "manager"])
def test_records_under_an_improvement_follow_it(session, model, role_name):
    who = person(session, role_name)
    visible_improvements = {
        imp.id for imp in session.scalars(scoped(select(Improvement), who)).all()
    }
    rows = session.scalars(scoped(select(model), who)).all()
    assert {row.improvement_id for row in rows} <= visible_improvements
    everything = session.scalars(select(model)).all()
    expected = [row for row in everything if row.improvement_id in visible_improvements]
    assert len(rows) == len(expected)


@pytest.mark.parametrize(
    ("role_name", "read", "write"),
    [
        ("member", {"WKP"}, set()),
        ("manager", {"WKP"}, {"WKP"}),
        ("treasury", ALL, set()),
        ("admin", ALL, ALL),
    ],
)
def test_department_level_records(session, role_name, read, write):
    who = person(session, role_name)
    for model, code_of in (
        (Department, lambda d: d.code),
        (Team, lambda t: t.department.code),
    ):
        assert {code_of(r) for r in session.scalars(scoped(select(model), who))} == read
        assert {
            code_of(r) for r in session.scalars(scoped(select(model), who, write=True))
        } == write


def test_manager_sees_only_own_department_people(session):
    manager = person(session, "manager")
    people = session.scalars(scoped(select(User), manager)).all()
    assert people
    assert {person.team.department.code for person in people} == {"WKP"}


def test_audit_events_are_scoped_by_department(session):
    manager = person(session, "manager")
    events = session.scalars(scoped(select(AuditEvent), manager)).all()
    assert events
    wkp = session.scalars(select(Department).where(Department.code == "WKP")).one()
    assert {event.department_id for event in events} == {wkp.id}


def can_write(session, user, record) -> bool:
    """Whether the scoped write query finds `record` for `user`: what every write runs."""
    model = type(record)
    stmt = select(model.id).where(model.id == record.id)
    return session.scalars(scoped(stmt, user, write=True)).first() is not None


def test_can_write_matches_scope(session):
    member = person(session, "member")
    own = session.scalars(scoped(select(Improvement), member)).first()
    other = session.scalars(select(Improvement).join(Team).where(Team.name == "Casework")).first()
    assert can_write(session, member, own)
    assert not can_write(session, member, other)


def test_the_write_services_rule_equals_the_scoped_write_query(session):
    """Pages show change buttons by `may_change` (no query); writes are scoped in SQL."""
    from gains.models import Role, User
    from gains.services.improvements.workflow import may_change

    people = session.scalars(select(User)).all()
    improvements = session.scalars(select(Improvement)).all()
    assert {someone.role for someone in people} == set(Role)
    for someone in people:
        for improvement in improvements:
            assert may_change(someone, improvement) == can_write(session, someone, improvement), (
                someone.email,
                improvement.title,
            )


def test_a_select_without_an_owned_model_is_refused(session):
    with pytest.raises(TypeError, match="no ownership rule"):
        scoped(select(literal(1)), person(session, "admin"))


def test_every_model_has_an_ownership_rule():
    models = {mapper.class_ for mapper in Base.registry.mappers}
    assert models == set(OWNERSHIP)
