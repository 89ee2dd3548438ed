"""Departments and teams, as far as the token's owner may see them (`gains.access`)."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from gains.access import get_scoped_or_404, scoped
from gains.api.pagination import ID, LINK_HEADER_DOC, paginate
from gains.api.schemas import (
    DepartmentSchema,
    PageArgsSchema,
    TeamArgsSchema,
    TeamSchema,
    page_of,
)
from gains.models import Department, Team

blueprint = Blueprint("api_organisation", __name__, description="Departments and their teams")


@blueprint.get("/departments")
@blueprint.arguments(PageArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(DepartmentSchema), headers=LINK_HEADER_DOC)
def list_departments(page: int, per_page: int):
    """Departments you can see (members and managers: their own)."""
    stmt = scoped(select(Department), current_user).order_by(Department.name, Department.id)
    return paginate(stmt, page, per_page)


@blueprint.get(f"/departments/<{ID}:department_id>")
@blueprint.response(200, DepartmentSchema)
def get_department(department_id: int):
    """One department; 404 if it is outside what you can see."""
    return get_scoped_or_404(Department, department_id, current_user)


@blueprint.get("/teams")
@blueprint.arguments(TeamArgsSchema, location="query", as_kwargs=True)
@blueprint.response(200, page_of(TeamSchema), headers=LINK_HEADER_DOC)
def list_teams(page: int, per_page: int, department_id: int | None = None):
    """Teams you can see, optionally of one department."""
    stmt = scoped(select(Team), current_user)
    if department_id is not None:
        stmt = stmt.where(Team.department_id == department_id)
    return paginate(stmt.order_by(Team.department_id, Team.name, Team.id), page, per_page)


@blueprint.get(f"/teams/<{ID}:team_id>")
@blueprint.response(200, TeamSchema)
def get_team(team_id: int):
    """One team; 404 if it is outside what you can see."""
    return get_scoped_or_404(Team, team_id, current_user)
