"""Departments and their teams."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gains.extensions import db
from gains.models import Department, Team
from gains.services.audit import record_event


class OrganisationError(ValueError):
    """A department or team cannot be created as asked; the message says why."""


def create_department(actor: Any, *, name: str, code: str) -> Department:
    name, code = name.strip(), code.strip().upper()
    if not name:
        raise OrganisationError("Enter the department's name")
    if not (2 <= len(code) <= 12) or not code.isalnum():
        raise OrganisationError("The short code must be 2 to 12 letters or digits")
    clash = db.session.scalar(
        select(func.count()).where((Department.name == name) | (Department.code == code))
    )
    if clash:
        raise OrganisationError(f"A department called {name} or coded {code} already exists")
    department = Department(name=name, code=code)
    db.session.add(department)
    record_event(
        actor,
        "department.created",
        department,
        department_id=None,
        after={"name": name, "code": code},
    )
    return department


def create_team(actor: Any, *, department: Department, name: str) -> Team:
    name = name.strip()
    if not name:
        raise OrganisationError("Enter the team's name")
    clash = db.session.scalar(
        select(func.count()).where(Team.department_id == department.id, Team.name == name)
    )
    if clash:
        raise OrganisationError(f"{department.name} already has a team called {name}")
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
