"""Personal API tokens: made, checked and revoked by the service (no request needed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gains.models import ApiToken, AuditEvent
from gains.models.base import utcnow
from gains.services.people.api_tokens import (
    TokenError,
    create_token,
    hash_secret,
    revoke_token,
    tokens_of,
    user_for_secret,
)
from tests.support.factories import person


def events(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_only_the_hash_and_a_short_prefix_are_stored(session):
    new = create_token(person(session, "member"), "Nightly export", 30)
    session.flush()
    row = session.get(ApiToken, new.token.id)
    assert new.secret.startswith("gains_") and len(new.secret) > 40
    assert row.token_hash == hash_secret(new.secret)
    assert row.prefix == new.secret[:12]
    stored = {column.name: getattr(row, column.key) for column in ApiToken.__table__.columns}
    assert new.secret not in {str(value) for value in stored.values()}
    assert row.expires_at - row.created_at == timedelta(days=30)


def test_creation_and_revocation_are_audited(session):
    owner = person(session, "member")
    new = create_token(owner, "Nightly export", 7)
    (created,) = events(session, "api_token.created")
    assert created.actor_id == owner.id and created.after["prefix"] == new.token.prefix
    assert new.secret not in str(created.after)
    revoke_token(owner, new.token)
    (revoked,) = events(session, "api_token.revoked")
    assert revoked.entity_id == new.token.id


def test_the_secret_finds_its_active_owner(session):
    owner = person(session, "member")
    new = create_token(owner, "A", 30)
    assert user_for_secret(new.secret) == owner
    assert user_for_secret(new.secret + "x") is None
    assert user_for_secret("not-a-gains-token") is None


def test_expired_revoked_and_deactivated_tokens_find_nobody(session):
    owner = person(session, "member")
    new = create_token(owner, "A", 7)
    later = utcnow() + timedelta(days=7, seconds=1)
    assert user_for_secret(new.secret, now=later) is None
    revoke_token(owner, new.token)
    assert user_for_secret(new.secret) is None
    other = create_token(owner, "B", 7)
    owner.active = False
    assert user_for_secret(other.secret) is None


def test_use_is_noted_at_most_once_a_minute(session):
    new = create_token(person(session, "member"), "A", 30)
    first = utcnow()
    user_for_secret(new.secret, now=first)
    user_for_secret(new.secret, now=first + timedelta(seconds=30))
    assert new.token.last_used_at == first
    user_for_secret(new.secret, now=first + timedelta(minutes=2))
    assert new.token.last_used_at == first + timedelta(minutes=2)


@pytest.mark.parametrize(
    ("name", "days", "message"),
    [("", 30, "Enter a name"), ("x" * 101, 30, "100 characters or fewer"), ("A", 5, "how long")],
)
def test_bad_requests_write_nothing(session, name, days, message):
    with pytest.raises(TokenError, match=message):
        create_token(person(session, "member"), name, days)
    assert events(session, "api_token.created") == []


def test_only_the_owner_revokes_and_only_once(session):
    owner, other = person(session, "member"), person(session, "manager@example.org")
    new = create_token(owner, "A", 30)
    with pytest.raises(TokenError, match="your own"):
        revoke_token(other, new.token)
    revoke_token(owner, new.token)
    with pytest.raises(TokenError, match="already"):
        revoke_token(owner, new.token)
    assert tokens_of(owner) == [new.token] and tokens_of(other) == []
