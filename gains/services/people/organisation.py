"""Departments and their teams."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gains.extensions import db
from gains.models import Department, Team
from gains.services.audit.events import record_changes, record_event, snapshot


class OrganisationError(ValueError):
    """A department or team cannot be created or changed as asked; the message says why."""


DEPARTMENT_FIELDS = ("name", "code")


def _clean_department(name: str, code: str, *, other_than: int | None) -> tuple[str, str]:
    name, code = name.strip(), code.strip().upper()
    if not name:
        raise OrganisationError("Enter the department's name")
    if len(name) > 200:
        raise OrganisationError("The department's name must be 200 characters or fewer")
    if not (2 <= len(code) <= 12) or not code.isascii() or not code.isalnum():
        raise OrganisationError("The short code must be 2 to 12 letters or digits")
    clash = select(func.count()).where((Department.name == name) | (Department.code == code))
    if other_than is not None:
        clash = clash.where(Department.id != other_than)
    if db.session.scalar(clash):
        raise OrganisationError(f"A department called {name} or coded {code} already exists")
    return name, code


def _clean_team_name(department: Department, name: str, *, other_than: int | None) -> str:
    name = name.strip()
    if not name:
        raise OrganisationError("Enter the team's name")
    if len(name) > 200:
        raise OrganisationError("The team's name must be 200 characters or fewer")
    clash = select(func.count()).where(Team.department_id == department.id, Team.name == name)
    if other_than is not None:
        clash = clash.where(Team.id != other_than)
    if db.session.scalar(clash):
        raise OrganisationError(f"{department.name} already has a team called {name}")
    return name


def create_department(actor: Any, *, name: str, code: str) -> Department:
    name, code = _clean_department(name, code, other_than=None)
    department = Department(name=name, code=code)
    db.session.add(department)
    db.session.flush()  # its id, for the event's department
    record_event(
        actor,
        "department.created",
        department,
        department_id=department.id,  # so that filtering the trail by department finds it
        after={"name": name, "code": code},
    )
    return department


def create_team(actor: Any, *, department: Department, name: str) -> Team:
    name = _clean_team_name(department, name, other_than=None)
    team = Team(department=department, name=name)
    db.session.add(team)
    record_event(
        actor,
        "team.created",
        team,
        department_id=department.id,
        after={"name": name, "department_id": department.id},
    )
    return team


def update_department(actor: Any, department: Department, *, name: str, code: str) -> Department:
    """Rename a department or change its short code (audited with the changed fields)."""
    name, code = _clean_department(name, code, other_than=department.id)
    before = snapshot(department, DEPARTMENT_FIELDS)
    department.name, department.code = name, code
    after = snapshot(department, DEPARTMENT_FIELDS)
    record_changes(
        actor, "department.updated", department, before, after, department_id=department.id
    )
    return department


def rename_team(actor: Any, team: Team, *, name: str) -> Team:
    name = _clean_team_name(team.department, name, other_than=team.id)
    if name != team.name:
        record_event(
            actor,
            "team.updated",
            team,
            department_id=team.department_id,
            before={"name": team.name},
            after={"name": name},
        )
        team.name = name
    return team
