"""Personal API tokens: made and revoked by their owner, checked on every API request.

The secret is `gains_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256
is stored, with the first characters as a visible prefix; the secret itself is returned once,
to be shown once. A token works until it expires or is revoked, and only while its owner's
account is active. Signing a person out everywhere (`session_version`) does not revoke their
tokens: tokens are for systems, not browser sessions, and are revoked one by one (or stop with
the account's deactivation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from gains.bounds import TOKEN_NAME, text_problem
from gains.extensions import db
from gains.models import ApiToken, User
from gains.models.base import utcnow
from gains.services.audit.events import jsonable, record_event

TOKEN_PREFIX = "gains_"
VISIBLE_CHARACTERS = 12  # "gains_" and six characters of the secret
# The lifetimes a person can choose, in days; the form offers these.
LIFETIMES_DAYS = (7, 30, 90, 365)
MAX_NAME_LENGTH = TOKEN_NAME.max_length
# Recording every use would write on every read; once a minute is enough to see use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """The token cannot be made or revoked; the message says why."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    actor: Any, name: str, lifetime_days: int, *, now: datetime | None = None
) -> NewToken:
    """Make a token for `actor` (always their own), audited as `api_token.created`."""
    name = (name or "").strip()
    if not name:
        raise TokenError("Enter a name for the token")
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"Name must be {MAX_NAME_LENGTH} characters or fewer")
    problem = text_problem(name, TOKEN_NAME.what)
    if problem:
        raise TokenError(problem)
    if lifetime_days not in LIFETIMES_DAYS:
        raise TokenError("Choose how long the token lasts")
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:VISIBLE_CHARACTERS],
        created_at=now,
        expires_at=now + timedelta(days=lifetime_days),
    )
    db.session.add(token)
    record_event(
        actor,
        "api_token.created",
        token,
        department_id=actor.department_id,
        after={"name": name, "prefix": token.prefix, "expires_at": jsonable(token.expires_at)},
    )
    return NewToken(token, secret)


def revoke_token(actor: Any, token: ApiToken, *, now: datetime | None = None) -> ApiToken:
    """Stop a token working at once, audited as `api_token.revoked`. Only its owner may."""
    if token.user_id != actor.id:
        raise TokenError("You can only revoke your own tokens")
    if token.revoked_at is not None:
        raise TokenError("This token is already revoked")
    token.revoked_at = now or utcnow()
    record_event(
        actor,
        "api_token.revoked",
        token,
        department_id=actor.department_id,
        before={"revoked_at": None},
        after={"revoked_at": jsonable(token.revoked_at), "prefix": token.prefix},
    )
    return token


def tokens_of(user: Any) -> list[ApiToken]:
    """The person's tokens, newest first (revoked and expired ones too, for the record)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def user_for_secret(secret: str, *, now: datetime | None = None) -> User | None:
    """The active user a presented secret belongs to, or None (unknown, expired, revoked or
    deactivated: the caller answers 401 alike). Notes the use, at most once a minute."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))
    ).first()
    if token is None or not token.is_usable(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token.user
