"""Who may see and change which department's records: the one scoping function.

Every query for department data goes through `scoped()` (or `get_scoped_or_404()`, which
uses it); views never filter by department by hand. The rules (docs/DESIGN.md "Who uses it"):

| role      | reads                                   | writes                     |
|-----------|-----------------------------------------|----------------------------|
| member    | their team's records; their department's | their team's records       |
|           | department-level records (dashboard)    |                            |
| manager   | their department's records              | their department's records |
| treasury  | every department                        | nothing                    |
| admin     | every department                        | every department           |
| anonymous | nothing                                 | nothing                    |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort
from sqlalchemy import Select, false, select
from sqlalchemy.orm import InstrumentedAttribute

from gains.extensions import db
from gains.models import (
    Amendment,
    ApiToken,
    AuditEvent,
    ChartNote,
    Cycle,
    Department,
    Estimate,
    Improvement,
    Measurement,
    MissingEstimate,
    Notification,
    NotificationOptOut,
    Publication,
    Review,
    Role,
    Team,
    UploadBatch,
    User,
    UserSession,
)

ModelT = TypeVar("ModelT")

# How to reach a model's department (and team, where the record belongs to one team) from a
# SELECT over it. Records hanging off an improvement join it; the join is added only here.
Owner = tuple[Select, InstrumentedAttribute | None, InstrumentedAttribute | None]


def _through_user(foreign_key: InstrumentedAttribute) -> Callable[[Select], Owner]:
    def owner(stmt: Select) -> Owner:
        joined = stmt.join(User, User.id == foreign_key).outerjoin(Team, Team.id == User.team_id)
        return joined, Team.department_id, None

    return owner


def _through_improvement(foreign_key: InstrumentedAttribute) -> Callable[[Select], Owner]:
    def owner(stmt: Select) -> Owner:
        joined = stmt.join(Improvement, Improvement.id == foreign_key)
        return joined, Improvement.department_id, Improvement.team_id

    return owner


OWNERSHIP: dict[type, Callable[[Select], Owner]] = {
    Department: lambda stmt: (stmt, Department.id, None),
    Team: lambda stmt: (stmt, Team.department_id, None),
    User: lambda stmt: (stmt.outerjoin(Team, Team.id == User.team_id), Team.department_id, None),
    Improvement: lambda stmt: (stmt, Improvement.department_id, Improvement.team_id),
    UploadBatch: _through_improvement(UploadBatch.improvement_id),
    Measurement: _through_improvement(Measurement.improvement_id),
    Estimate: _through_improvement(Estimate.improvement_id),
    MissingEstimate: _through_improvement(MissingEstimate.improvement_id),
    Review: _through_improvement(Review.improvement_id),
    Amendment: _through_improvement(Amendment.improvement_id),
    Publication: _through_improvement(Publication.improvement_id),
    ChartNote: _through_improvement(ChartNote.improvement_id),
    Cycle: _through_improvement(Cycle.improvement_id),
    AuditEvent: lambda stmt: (stmt, AuditEvent.department_id, None),
    # A token belongs to its user's department like the user does; the token pages still
    # list only the signed-in person's own tokens.
    ApiToken: _through_user(ApiToken.user_id),
    # A signed-in session, likewise; no page lists them, and only the session's own cookie
    # (or its user's sign-out everywhere) ends one.
    UserSession: _through_user(UserSession.user_id),
    # A person's notifications and choices, likewise; the preferences page shows only the
    # signed-in person's own.
    Notification: _through_user(Notification.recipient_id),
    NotificationOptOut: _through_user(NotificationOptOut.user_id),
}


def _role(user: Any) -> Role | None:
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def reads_every_department(user: Any) -> bool:
    """Treasury and admins read every department's records; others at most their own."""
    return _role(user) in (Role.ADMIN, Role.TREASURY)


def may_administer(user: Any) -> bool:
    """Admins run the organisation: departments, teams, people and the whole audit trail."""
    return _role(user) is Role.ADMIN


def scoped(stmt: Select, user: Any, *, write: bool = False) -> Select:
    """Restrict a SELECT over one model to the rows `user` may read (or, with write, change)."""
    entity = stmt.column_descriptions[0].get("entity")
    if entity not in OWNERSHIP:
        raise TypeError(f"no ownership rule for {entity!r}: add one to OWNERSHIP")
    role = _role(user)
    if role is Role.ADMIN:
        return stmt
    if role is Role.TREASURY:
        return stmt if not write else stmt.where(false())
    if role not in (Role.MANAGER, Role.MEMBER) or user.department_id is None:
        return stmt.where(false())
    stmt, department_column, team_column = OWNERSHIP[entity](stmt)
    if role is Role.MEMBER and team_column is not None:
        return stmt.where(team_column == user.team_id)
    if role is Role.MEMBER and write:
        # Department-level records (the department itself, its teams, people) are not a
        # member's to change.
        return stmt.where(false())
    return stmt.where(department_column == user.department_id)


def get_scoped_or_404(
    model: type[ModelT], record_id: int, user: Any, *, write: bool = False, options: tuple = ()
):
    """Load one record the user may see, or answer 404 (never reveal that it exists).

    A record the user may read but not change answers 403 on a write, because pretending
    it is missing would confuse someone who is looking at it. `options` are loader options
    for the record itself (what the page will show of it).
    """
    stmt = select(model).where(model.id == record_id)  # type: ignore[attr-defined]
    record = db.session.scalars(scoped(stmt, user).options(*options)).first()
    if record is None:
        abort(404)
    if write and db.session.scalars(scoped(stmt, user, write=True)).first() is None:
        abort(403)
    return record
