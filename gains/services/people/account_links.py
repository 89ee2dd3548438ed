"""One-time set-password links, for invitations and password resets.

A link is a stateless signed token (itsdangerous, keyed with the app's secret and salted per
purpose) carrying the user's id, its expiry, and a fingerprint of the user's current password
hash and session version. Setting a password changes both, so a link works once; any later
password change, a "sign out everywhere" or a deactivation (which bumps the session version)
invalidates every link issued before it. We chose this over a table of hashed tokens because
it needs no table, no clean-up of expired rows, and nothing in the database is worth stealing;
what it cannot do is revoke one link alone (bump the session version to revoke them all).

The link is shown to the administrator, who passes it on; when email is on (issue 23), Gains
also emails the person a link of their own, made as the email is sent. Every way a
link can fail (tampered, expired, used, superseded, deactivated account, unknown user) raises
the same `InvalidLink`, so the page reveals nothing about which accounts exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from gains.extensions import db
from gains.models import User
from gains.models.base import utcnow
from gains.services.audit.events import record_event
from gains.services.notifications import kinds, outbox
from gains.services.people.accounts import AccountError, set_password_from_link

INVITE = "invite"
RESET = "reset"
PURPOSES = (INVITE, RESET)
DEFAULT_LIFETIMES = {INVITE: timedelta(hours=72), RESET: timedelta(hours=1)}


def lifetimes_from(config: Mapping[str, Any]) -> dict[str, timedelta]:
    """The links' lifetimes from the app's settings (GAINS_INVITE_HOURS, GAINS_RESET_HOURS)."""
    return {
        INVITE: timedelta(hours=config["ACCOUNT_INVITE_HOURS"]),
        RESET: timedelta(hours=config["ACCOUNT_RESET_HOURS"]),
    }


class InvalidLink(Exception):
    """The link cannot be used; deliberately says nothing about why."""


@dataclass(frozen=True)
class IssuedLink:
    token: str
    purpose: str
    expires_at: datetime


def _serializer(secret_key: str, purpose: str) -> URLSafeSerializer:
    # A token made for one purpose does not verify as another.
    return URLSafeSerializer(secret_key, salt=f"gains.set-password.{purpose}")


def _fingerprint(user: User) -> str:
    """Changes whenever the password or the session version does (so a link works once)."""
    material = f"{user.password_hash or ''}|{user.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def purpose_for(user: User) -> str:
    """An account without a password is invited; one with a password is reset."""
    return INVITE if user.password_hash is None else RESET


def issue_link(
    actor: Any,
    user: User,
    *,
    secret_key: str,
    lifetimes: dict[str, timedelta] | None = None,
    now: datetime | None = None,
    audit: bool = True,
    email: bool = True,
) -> IssuedLink:
    """Make a set-password link for `user`, audit that it was issued, and (when email is on)
    write the email that sends the person one.

    `audit=False` is for an invitation made with the account, whose `user.created` event
    already records it (one event per action). `email=False` is for the delivery itself,
    which makes the emailed link as it sends (`notifications.delivery`).
    """
    if not user.active:
        raise AccountError(f"{user.name}'s account is deactivated: reactivate it first")
    purpose = purpose_for(user)
    lifetime = (lifetimes or DEFAULT_LIFETIMES)[purpose]
    expires_at = (now or utcnow()) + lifetime
    payload = {"u": user.id, "f": _fingerprint(user), "e": int(expires_at.timestamp())}
    token = _serializer(secret_key, purpose).dumps(payload)
    if audit:
        record_event(
            actor,
            f"user.{purpose}_link_issued",
            user,
            department_id=user.department_id,
            after={"expires_at": expires_at.isoformat(timespec="seconds")},
        )
    if email:
        outbox.link_issued(user, kinds.INVITATION if purpose == INVITE else kinds.RESET)
    return IssuedLink(token=token, purpose=purpose, expires_at=expires_at)


def invite(
    actor: Any, user: User, *, passwords: bool, secret_key: str, lifetimes: dict[str, timedelta]
) -> IssuedLink | None:
    """Invite a person just created (the `user.created` event records it): a set-password
    link, or, when Gains has no passwords (GAINS_PASSWORD_SIGN_IN=off), no link and an email
    (when email is on) telling them to sign in with their organisation account."""
    if not passwords:
        outbox.invited_to_sign_in(user)
        return None
    return issue_link(actor, user, secret_key=secret_key, lifetimes=lifetimes, audit=False)


def user_for_link(
    token: str, *, secret_key: str, now: datetime | None = None, lock: bool = False
) -> tuple[User, str]:
    """The active user a valid, unexpired, unused link is for, and the link's purpose.

    With `lock`, the user's row is locked until commit and read afresh, so that the same
    link sent twice at once sets the password only once (the second sees the new hash).
    """
    for purpose in PURPOSES:
        try:
            payload = _serializer(secret_key, purpose).loads(token)
        except BadSignature:
            continue
        break
    else:
        raise InvalidLink
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise InvalidLink
    if not isinstance(payload.get("e"), int) or (now or utcnow()).timestamp() >= payload["e"]:
        raise InvalidLink
    query = select(User).where(User.id == payload["u"])
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    user = db.session.scalars(query).first()
    if user is None or not user.active or payload.get("f") != _fingerprint(user):
        raise InvalidLink
    return user, purpose


def set_password_with_link(
    token: str, password: str, *, secret_key: str, now: datetime | None = None
) -> User:
    """Use a link: check it, set the password (which spends the link), audit it."""
    user, purpose = user_for_link(token, secret_key=secret_key, now=now, lock=True)
    return set_password_from_link(user, password=password, purpose=purpose)
