"""People: creating and changing accounts, passwords, and signing out everywhere.

Every change here writes one audit event with the changed fields' before and after values,
in the caller's transaction; a refused change raises `AccountError` before writing anything.

Lock-out rule: an administrator cannot deactivate or demote their own account; another
administrator must. Every such change is therefore made by an active administrator who stays
one, so Gains always keeps at least one (and `gains create-user` makes another from the shell).
The actor's and the target's rows are locked, in id order, before the check, so that two
administrators demoting each other at the same moment cannot both succeed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from gains.bounds import EMAIL, PERSON_NAME, TextBound, can_match_stored_text
from gains.extensions import db
from gains.models import Role, Team, User
from gains.models.base import utcnow
from gains.models.org import TEAM_ROLES
from gains.services.audit.events import record_changes, record_event, snapshot

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
USER_FIELDS = ("name", "role", "team_id")
# Checked when no account matches, so that a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """The account cannot be created or changed as asked; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    if not can_match_stored_text(email):
        return None  # no account has such an address, and PostgreSQL cannot compare NUL
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
    if not name.strip():
        raise AccountError("Enter the person's name")
    _check_text(EMAIL, email)
    _check_text(PERSON_NAME, name.strip())
    if password is not None:
        check_password_rules(password)
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


def _check_text(bound: TextBound, text: str) -> None:
    problem = bound.problem(text)
    if problem:
        raise AccountError(problem)


def check_password_rules(password: str) -> None:
    """Length only (NCSC and NIST advice: no composition rules, allow long passphrases)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer")


def _lock_accounts(actor: Any, user: User) -> None:
    """Lock the actor's and the target's rows (in id order, so two admins cannot deadlock)
    and check that the actor is still an active administrator.

    SQLite ignores FOR UPDATE; it allows one writer at a time anyway.
    """
    if actor is None:  # the command line acts as the system
        return
    db.session.flush()
    db.session.scalars(
        select(User)
        .where(User.id.in_({actor.id, user.id}))
        .order_by(User.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if actor.role is not Role.ADMIN or not actor.active:
        raise AccountError("Only an active administrator can change accounts")


def _refuse_self(actor: Any, user: User, what: str) -> None:
    if actor is not None and actor.id == user.id:
        raise AccountError(
            f"You cannot {what} your own account: ask another administrator "
            "(so that Gains always keeps one)"
        )


def update_user(actor: Any, user: User, *, name: str, role: Role, team: Team | None) -> User:
    """Change a person's name, role or team. Members and managers keep a team."""
    name = name.strip()
    if not name:
        raise AccountError("Enter the person's name")
    _check_text(PERSON_NAME, name)
    if role in TEAM_ROLES and team is None:
        raise AccountError(f"A {role.label.lower()} must belong to a team")
    _lock_accounts(actor, user)
    if role is not user.role and user.role is Role.ADMIN:
        _refuse_self(actor, user, "remove the administrator role from")
    before = snapshot(user, USER_FIELDS)
    user.name, user.role, user.team = name, role, team
    db.session.flush()  # team_id follows the relationship at flush
    after = snapshot(user, USER_FIELDS)
    record_changes(actor, "user.updated", user, before, after, department_id=user.department_id)
    return user


def deactivate_user(actor: Any, user: User) -> User:
    """Stop someone signing in, and end their sessions (their records stay)."""
    _lock_accounts(actor, user)
    _refuse_self(actor, user, "deactivate")
    _set_active(actor, user, active=False)
    # Flask-Login would keep an existing session of an inactive user: end them all.
    user.session_version += 1
    return user


def reactivate_user(actor: Any, user: User) -> User:
    _lock_accounts(actor, user)
    return _set_active(actor, user, active=True)


def _set_active(actor: Any, user: User, *, active: bool) -> User:
    if user.active is active:
        state = "active" if active else "deactivated"
        raise AccountError(f"{user.name}'s account is already {state}")
    user.active = active
    record_event(
        actor,
        "user.reactivated" if active else "user.deactivated",
        user,
        department_id=user.department_id,
        before={"active": not active},
        after={"active": active},
    )
    return user


def sign_out_everywhere(actor: Any, user: User) -> User:
    """End every session of `user` (theirs or an administrator's request): sessions carry
    the session version they started with, and stop resolving once it changes."""
    before = user.session_version
    user.session_version = before + 1
    record_event(
        actor,
        "user.signed_out_everywhere",
        user,
        department_id=user.department_id,
        before={"session_version": before},
        after={"session_version": user.session_version},
    )
    return user


def change_own_password(user: User, *, current_password: str, new_password: str) -> User:
    """A signed-in person changes their password; every other session of theirs ends."""
    if not user.check_password(current_password):
        raise AccountError("Your current password is not correct")
    check_password_rules(new_password)
    user.set_password(new_password)
    user.session_version += 1
    record_event(user, "user.password_changed", user, department_id=user.department_id)
    return user


def set_password_from_link(user: User, *, password: str, purpose: str) -> User:
    """Set a password through a one-time link (the link is checked by `account_links`)."""
    check_password_rules(password)
    user.set_password(password)
    user.session_version += 1  # signs out every old session; invalidates the link
    record_event(
        user,
        "user.password_set",
        user,
        department_id=user.department_id,
        note=f"through a {purpose} link",
    )
    return user
