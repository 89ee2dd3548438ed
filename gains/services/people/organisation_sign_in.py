"""Organisation sign-in (OpenID Connect): which Gains account a provider's verified email
opens, and the audit events of each sign-in and each refusal (docs/decisions/0049).

Nobody registers themselves: the email must belong to a person an administrator created or
invited, whose account is active, at a domain the deployment allows. Roles and teams stay
in Gains; the provider only says who the person is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gains.extensions import db
from gains.models import AuditEvent, User
from gains.models.base import utcnow
from gains.services.audit.events import record_event
from gains.services.people.accounts import find_user_by_email, normalise_email

SIGNED_IN = "user.signed_in"
REFUSED = "user.sign_in_refused"

# Why a sign-in was refused, as the refusal page and the audit trail say it.
NOT_VERIFIED = "the provider has not verified this email address"
NO_EMAIL = "the provider gave no email address"
DOMAIN = "the email address is not at a domain this Gains accepts"
UNKNOWN = "no Gains account has this email address"
DEACTIVATED = "the Gains account is deactivated"
NOT_MANAGED = "the Google account is not one your organisation manages"

# Google signs in any Google account, including a personal one made with a work address; only
# its `hd` claim says the organisation's Google Workspace manages the account.
GOOGLE_ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})


@dataclass(frozen=True)
class Outcome:
    user: User | None  # the person signed in; None when refused
    email: str
    refusal: str | None = None


def email_claim(claims: Mapping[str, Any]) -> tuple[str, str | None]:
    """The email the ID token asserts, and why it cannot be used (None when it can).

    `email_verified` false is refused. Microsoft Entra ID omits the claim: its `email` comes
    from the organisation's own directory (a single-tenant issuer), so an absent claim is
    accepted, and the allowed domains still apply (decision 0049).
    """
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return "", NO_EMAIL
    verified = claims.get("email_verified", True)
    if verified is not True and str(verified).lower() != "true":
        return normalise_email(email), NOT_VERIFIED
    return normalise_email(email), None


def match_person(claims: Mapping[str, Any], allowed_domains: tuple[str, ...]) -> Outcome:
    """The active person the provider's verified email belongs to, or why there is none.
    Writes the audit event either way; the caller commits."""
    email, problem = email_claim(claims)
    if problem is None and email.rpartition("@")[2] not in allowed_domains:
        problem = DOMAIN
    managed_by = str(claims.get("hd", "")).lower()
    if (
        problem is None
        and claims.get("iss") in GOOGLE_ISSUERS
        and managed_by not in allowed_domains
    ):
        problem = NOT_MANAGED
    user = find_user_by_email(email) if problem is None else None
    if problem is None and user is None:
        problem = UNKNOWN
    if problem is None and user is not None and not user.active:
        problem = DEACTIVATED
    if problem is not None:
        _record_refusal(user, email, problem)
        return Outcome(None, email, problem)
    assert user is not None
    user.last_signed_in_at = utcnow()
    record_event(
        user,
        SIGNED_IN,
        user,
        department_id=_department_of(user),
        after={"method": "organisation sign-in"},
    )
    return Outcome(user, email)


def _department_of(user: User) -> int | None:
    return user.team.department_id if user.team else None


def _record_refusal(user: User | None, email: str, reason: str) -> None:
    if user is not None:
        record_event(
            None, REFUSED, user, department_id=_department_of(user), after={"reason": reason}
        )
        return
    # Nobody's record: the address tried is kept so that an administrator can add the person.
    db.session.add(
        AuditEvent(
            actor_id=None,
            entity_type="users",
            entity_id=None,
            action=REFUSED,
            after={"email": email[:254], "reason": reason},
        )
    )
