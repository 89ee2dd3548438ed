"""One-time set-password links: they work once, expire, refuse tampering, die with any later
password change or deactivation, and fail the same way whatever the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gains.models import AuditEvent, Role, User
from gains.services.people import account_links, accounts
from gains.services.people.account_links import (
    InvalidLink,
    issue_link,
    set_password_with_link,
    user_for_link,
)
from tests.support.factories import person

SECRET = "test-secret-key"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture
def admin(session) -> User:
    return person(session, "admin")


@pytest.fixture
def invited(session, admin) -> User:
    return accounts.create_user(
        admin,
        email="new.starter@example.org",
        name="New Starter",
        role=Role.TREASURY,
        team=None,
        password=None,
    )


def test_an_invitation_sets_the_password_once(session, admin, invited):
    link = issue_link(admin, invited, secret_key=SECRET, now=NOW)
    assert link.purpose == "invite" and link.expires_at == NOW + timedelta(hours=72)
    assert user_for_link(link.token, secret_key=SECRET, now=NOW) == (invited, "invite")
    before = count(session)
    set_password_with_link(link.token, "correct horse battery", secret_key=SECRET, now=NOW)
    session.flush()
    assert invited.check_password("correct horse battery")
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.actor_id, event.entity_id) == (
        "user.password_set",
        invited.id,
        invited.id,
    )
    assert count(session) == before + 1
    with pytest.raises(InvalidLink):
        set_password_with_link(link.token, "another long password", secret_key=SECRET, now=NOW)


def test_issuing_is_audited_unless_the_creation_already_is(session, admin, invited):
    before = count(session)
    issue_link(admin, invited, secret_key=SECRET, now=NOW, audit=False)
    assert count(session) == before
    issue_link(admin, invited, secret_key=SECRET, now=NOW)
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "user.invite_link_issued"
    assert event.after == {"expires_at": "2026-12-01T09:00:00+00:00"}


def test_a_reset_link_lasts_an_hour_and_keeps_the_old_password_until_used(session, admin):
    member = person(session, "member")
    link = issue_link(admin, member, secret_key=SECRET, now=NOW)
    assert link.purpose == "reset" and link.expires_at == NOW + timedelta(hours=1)
    assert member.check_password("gains-demo-2026")
    assert (
        user_for_link(link.token, secret_key=SECRET, now=NOW + timedelta(minutes=59))[0] is member
    )
    with pytest.raises(InvalidLink):
        user_for_link(link.token, secret_key=SECRET, now=NOW + timedelta(hours=1))


def test_lifetimes_are_configurable(session, admin, invited):
    lifetimes = {"invite": timedelta(hours=2), "reset": timedelta(minutes=5)}
    link = issue_link(admin, invited, secret_key=SECRET, lifetimes=lifetimes, now=NOW)
    assert link.expires_at == NOW + timedelta(hours=2)


def test_an_expired_link_is_refused(session, admin, invited):
    link = issue_link(admin, invited, secret_key=SECRET, now=NOW)
    with pytest.raises(InvalidLink):
        set_password_with_link(
            link.token, "correct horse battery", secret_key=SECRET, now=NOW + timedelta(hours=72)
        )
    assert invited.password_hash is None


def test_a_tampered_or_foreign_link_is_refused(session, admin, invited):
    token = issue_link(admin, invited, secret_key=SECRET, now=NOW).token
    for bad in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        token + "x",
        "",
        "abc.def",
    ):
        with pytest.raises(InvalidLink):
            user_for_link(bad, secret_key=SECRET, now=NOW)
    with pytest.raises(InvalidLink):  # signed with another key
        user_for_link(token, secret_key="another-secret", now=NOW)
    # A token signed for another purpose (another salt) does not pass as this one.
    forged = account_links._serializer(SECRET, "not-a-purpose").dumps(
        {"u": invited.id, "f": account_links._fingerprint(invited), "e": 2_000_000_000}
    )
    with pytest.raises(InvalidLink):
        user_for_link(forged, secret_key=SECRET, now=NOW)


def test_a_later_password_change_or_sign_out_everywhere_invalidates_the_link(session, admin):
    member = person(session, "member")
    first = issue_link(admin, member, secret_key=SECRET, now=NOW)
    accounts.change_own_password(
        member, current_password="gains-demo-2026", new_password="changed my mind again"
    )
    with pytest.raises(InvalidLink):
        user_for_link(first.token, secret_key=SECRET, now=NOW)
    second = issue_link(admin, member, secret_key=SECRET, now=NOW)
    accounts.sign_out_everywhere(admin, member)
    with pytest.raises(InvalidLink):
        user_for_link(second.token, secret_key=SECRET, now=NOW)


def test_a_deactivated_account_gets_no_link_and_cannot_use_an_old_one(session, admin):
    member = person(session, "member")
    link = issue_link(admin, member, secret_key=SECRET, now=NOW)
    accounts.deactivate_user(admin, member)
    with pytest.raises(InvalidLink):
        user_for_link(link.token, secret_key=SECRET, now=NOW)
    before = count(session)
    with pytest.raises(accounts.AccountError, match="reactivate it first"):
        issue_link(admin, member, secret_key=SECRET, now=NOW)
    assert count(session) == before
    # Reactivating does not revive links issued before the deactivation.
    accounts.reactivate_user(admin, member)
    with pytest.raises(InvalidLink):
        user_for_link(link.token, secret_key=SECRET, now=NOW)


def test_a_too_short_password_is_refused_and_the_link_still_works(session, admin, invited):
    link = issue_link(admin, invited, secret_key=SECRET, now=NOW)
    before = count(session)
    with pytest.raises(accounts.AccountError, match="at least 10"):
        set_password_with_link(link.token, "short", secret_key=SECRET, now=NOW)
    assert count(session) == before
    assert user_for_link(link.token, secret_key=SECRET, now=NOW)[0] is invited
