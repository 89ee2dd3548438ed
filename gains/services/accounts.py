"""People: creating accounts and checking passwords."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from gains.extensions import db
from gains.models import Role, Team, User
from gains.models.base import utcnow
from gains.models.org import TEAM_ROLES
from gains.services.audit import record_event

MIN_PASSWORD_LENGTH = 10
# Checked when no account matches, so that a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """The account cannot be created or changed as asked; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same time either way)."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_signed_in_at = utcnow()
    return user


def create_user(
    actor: Any,
    *,
    email: str,
    name: str,
    role: Role,
    team: Team | None,
    password: str | None,
) -> User:
    """Create an account. Members and managers need a team; the password may come later."""
    email = normalise_email(email)
    if not email or "@" not in email:
        raise AccountError("Enter an email address in the correct format")
    if role in TEAM_ROLES and team is None:
        raise AccountError(f"A {role.label.lower()} must belong to a team")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters")
    taken = db.session.scalar(select(func.count()).where(User.email == email))
    if taken:
        raise AccountError(f"There is already an account for {email}")
    user = User(email=email, name=name.strip(), role=role, team=team)
    if password is not None:
        user.set_password(password)
    db.session.add(user)
    record_event(
        actor,
        "user.created",
        user,
        department_id=team.department_id if team else None,
        after={
            "email": email,
            "name": user.name,
            "role": role.value,
            "team_id": team.id if team else None,
        },
    )
    return user
