"""Account administration without a request: each change writes exactly one audit event with
its before and after values; a refused change writes none."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gains.models import AuditEvent, Department, Role, Team, User
from gains.services.people import accounts, organisation
from gains.services.people.accounts import AccountError
from gains.services.people.organisation import OrganisationError
from tests.support.factories import person


def events(session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


def team(session, name: str) -> Team:
    return session.scalars(select(Team).where(Team.name == name)).one()


@pytest.fixture
def admin(session) -> User:
    return person(session, "admin")


def test_changing_role_and_team_records_only_the_changed_fields(session, admin):
    member = person(session, "member")
    old_team_id = member.team_id
    casework = team(session, "Casework")
    before = count(session)
    accounts.update_user(admin, member, name=member.name, role=Role.MANAGER, team=casework)
    session.flush()
    assert count(session) == before + 1
    event = events(session)[-1]
    assert (event.action, event.entity_type, event.entity_id) == (
        "user.updated",
        "users",
        member.id,
    )
    assert event.actor_id == admin.id
    assert event.before == {"role": "member", "team_id": old_team_id}
    assert event.after == {"role": "manager", "team_id": casework.id}
    assert event.department_id == casework.department_id
    assert member.role is Role.MANAGER and member.team_id == casework.id


def test_saving_without_a_change_writes_no_event(session, admin):
    member = person(session, "member")
    before = count(session)
    accounts.update_user(admin, member, name=member.name, role=member.role, team=member.team)
    assert count(session) == before


def test_a_member_or_manager_must_keep_a_team(session, admin):
    member = person(session, "member")
    before = count(session)
    for role in (Role.MEMBER, Role.MANAGER):
        with pytest.raises(AccountError, match="must belong to a team"):
            accounts.update_user(admin, member, name=member.name, role=role, team=None)
    assert count(session) == before
    session.refresh(member)
    assert member.team_id is not None


def test_treasury_and_admins_may_have_no_team(session, admin):
    member = person(session, "member")
    accounts.update_user(admin, member, name=member.name, role=Role.TREASURY, team=None)
    session.flush()
    assert member.team_id is None and events(session)[-1].after["role"] == "treasury"


def test_an_admin_cannot_demote_or_deactivate_themselves(session, admin):
    before = count(session)
    with pytest.raises(AccountError, match="another administrator"):
        accounts.update_user(
            admin, admin, name=admin.name, role=Role.MANAGER, team=team(session, "Casework")
        )
    with pytest.raises(AccountError, match="another administrator"):
        accounts.deactivate_user(admin, admin)
    session.refresh(admin)
    assert admin.role is Role.ADMIN and admin.active
    assert count(session) == before


def test_an_admin_may_rename_themselves(session, admin):
    accounts.update_user(admin, admin, name="Sam Reid-Jones", role=Role.ADMIN, team=admin.team)
    assert events(session)[-1].after == {"name": "Sam Reid-Jones"}


def test_another_admin_can_demote_an_admin(session, admin):
    second = accounts.create_user(
        admin,
        email="second.admin@example.org",
        name="Second Admin",
        role=Role.ADMIN,
        team=None,
        password=None,
    )
    accounts.update_user(second, admin, name=admin.name, role=Role.TREASURY, team=None)
    event = events(session)[-1]
    assert (event.actor_id, event.entity_id) == (second.id, admin.id)
    assert (event.before["role"], event.after["role"]) == ("admin", "treasury")


def test_someone_no_longer_admin_cannot_change_accounts(session, admin):
    member = person(session, "member")
    admin.role = Role.TREASURY  # demoted in another transaction, say
    session.flush()
    with pytest.raises(AccountError, match="Only an active administrator"):
        accounts.deactivate_user(admin, member)


def test_deactivation_ends_sessions_and_reactivation_restores_sign_in(session, admin):
    member = person(session, "member")
    version = member.session_version
    before = count(session)
    accounts.deactivate_user(admin, member)
    session.flush()
    assert not member.active and member.session_version == version + 1
    event = events(session)[-1]
    assert (event.action, event.before, event.after) == (
        "user.deactivated",
        {"active": True},
        {"active": False},
    )
    with pytest.raises(AccountError, match="already deactivated"):
        accounts.deactivate_user(admin, member)
    accounts.reactivate_user(admin, member)
    session.flush()
    assert member.active and events(session)[-1].action == "user.reactivated"
    assert count(session) == before + 2
    with pytest.raises(AccountError, match="already active"):
        accounts.reactivate_user(admin, member)


def test_sign_out_everywhere_bumps_the_session_version(session, admin):
    member = person(session, "member")
    version = member.session_version
    accounts.sign_out_everywhere(admin, member)
    session.flush()
    event = events(session)[-1]
    assert event.action == "user.signed_out_everywhere"
    assert (event.before, event.after) == (
        {"session_version": version},
        {"session_version": version + 1},
    )


def test_changing_your_password_needs_the_current_one(session):
    member = person(session, "member")
    before = count(session)
    with pytest.raises(AccountError, match="current password is not correct"):
        accounts.change_own_password(
            member, current_password="wrong", new_password="a-new-long-passphrase"
        )
    with pytest.raises(AccountError, match="at least 10"):
        accounts.change_own_password(
            member, current_password="gains-demo-2026", new_password="short"
        )
    assert count(session) == before
    version = member.session_version
    accounts.change_own_password(
        member, current_password="gains-demo-2026", new_password="a-new-long-passphrase"
    )
    session.flush()
    assert member.check_password("a-new-long-passphrase") and member.session_version == version + 1
    event = events(session)[-1]
    assert (event.action, event.actor_id, event.before, event.after) == (
        "user.password_changed",
        member.id,
        None,
        None,
    )  # never the hash
    assert count(session) == before + 1


def test_renaming_a_department_and_its_code(session, admin):
    department = session.scalars(select(Department).where(Department.code == "WKP")).one()
    old_name = department.name
    organisation.update_department(admin, department, name=old_name, code="dwp2")
    session.flush()
    event = events(session)[-1]
    assert (event.action, event.before, event.after) == (
        "department.updated",
        {"code": "WKP"},
        {"code": "DWP2"},
    )
    before = count(session)
    other = session.scalars(select(Department).where(Department.code == "REV")).one()
    with pytest.raises(OrganisationError, match="already exists"):
        organisation.update_department(admin, department, name=other.name, code="DWP2")
    with pytest.raises(OrganisationError, match="2 to 12 letters"):
        organisation.update_department(admin, department, name=old_name, code="D")
    assert count(session) == before


def test_renaming_a_team(session, admin):
    renewals = team(session, "Benefit renewals")
    organisation.rename_team(admin, renewals, name="Renewals")
    session.flush()
    event = events(session)[-1]
    assert (event.action, event.before, event.after) == (
        "team.updated",
        {"name": "Benefit renewals"},
        {"name": "Renewals"},
    )
    before = count(session)
    with pytest.raises(OrganisationError, match="already has a team called Casework"):
        organisation.rename_team(admin, renewals, name="Casework")
    organisation.rename_team(admin, renewals, name="Renewals")  # no change, no event
    assert count(session) == before
