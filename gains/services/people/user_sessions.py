"""Signed-in sessions: started at sign-in, looked up on every request, ended at sign-out.

The cookie holds a random token (256 bits); the server keeps its SHA-256 in `user_sessions`
with the user, the user's `session_version` at sign-in, and an absolute expiry. A session is
valid while its row exists, has not expired, and its version is the user's current one. So:
- signing out deletes this session's row, and a copy of the cookie stops working with it;
- signing out everywhere, deactivation and a password change bump the version (gains.services.
  accounts), which ends every session of the user at once, in one row's update;
- a session lasts `GAINS_SESSION_HOURS` from sign-in, however it is used: reading a page never
  writes (docs/DESIGN.md: GET requests do not write), so there is no "last seen" to slide it along.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from gains.extensions import db
from gains.models import User, UserSession
from gains.models.base import utcnow

# Longer than any token this module makes: anything else in a cookie is not a session of ours.
MAX_TOKEN_LENGTH = 64


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(
    user: User,
    *,
    lifetime: timedelta,
    now: datetime | None = None,
    id_token: str | None = None,
) -> str:
    """Record a new session of `user` and return its token (for the cookie, never stored).

    The user's expired sessions and those of an older version are deleted on the way: they
    can never be valid again, and this keeps the table to about the sessions that are live.
    """
    now = now or utcnow()
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(
                UserSession.expires_at <= now,
                UserSession.session_version != user.session_version,
            ),
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            token_hash=_digest(token),
            user_id=user.id,
            session_version=user.session_version,
            created_at=now,
            expires_at=now + lifetime,
            id_token=id_token,
        )
    )
    user.session_token = token
    return token


def user_for_session(token: str, *, now: datetime | None = None) -> User | None:
    """The active user whose valid session this token is, in one query, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    user = db.session.scalars(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == _digest(token),
            UserSession.session_version == User.session_version,
            UserSession.expires_at > (now or utcnow()),
        )
        # With the team: every scoped query asks for the user's department through it.
        .options(joinedload(User.team))
    ).first()
    # A deactivated account's sessions end at once, even if its version was not bumped.
    if user is None or not user.active:
        return None
    user.session_token = token
    return user


def id_token_of(token: str) -> str | None:
    """The provider's ID token of this session, if organisation sign-in began it."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(
        select(UserSession.id_token).where(UserSession.token_hash == _digest(token))
    )


def end_session(token: str) -> None:
    """Sign out: this session's row goes, so no copy of its cookie works afterwards."""
    db.session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))
