"""Sessions kept on the server: signing out ends a copy of the cookie too, sessions expire
by the clock whatever the cookie says, and reading a page never writes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import User, UserSession
from gains.models.base import utcnow
from gains.services.people import user_sessions
from tests.conftest import DEMO_LOGINS, sign_in
from tests.support.factories import person

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def copy_of(app, client):
    """Another browser presenting the same session cookie (copied, say, from a shared PC)."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def sessions_of(app, role: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(UserSession)
            .join(User, User.id == UserSession.user_id)
            .where(User.email == DEMO_LOGINS[role])
        )


def test_a_copied_cookie_stops_working_when_its_session_signs_out(app, signed_in):
    here = signed_in("member")
    stolen = copy_of(app, here)
    assert stolen.get("/").status_code == 200
    assert here.post("/auth/sign-out").status_code == 303
    refused = stolen.get("/")
    assert refused.status_code == 302 and "/auth/sign-in" in refused.headers["Location"]
    # Nor can the copy sign out someone else's session or do anything else signed in.
    assert stolen.get("/account/").status_code == 302


def test_signing_out_leaves_the_persons_other_sessions_signed_in(app, signed_in):
    here = signed_in("manager")
    elsewhere = app.test_client()
    assert sign_in(elsewhere, DEMO_LOGINS["manager"]).status_code == 303
    before = sessions_of(app, "manager")
    here.post("/auth/sign-out")
    assert sessions_of(app, "manager") == before - 1
    assert here.get("/").status_code == 302
    assert elsewhere.get("/").status_code == 200


def test_sign_out_everywhere_ends_copies_of_every_session(app, signed_in):
    here = signed_in("member")
    elsewhere = app.test_client()
    sign_in(elsewhere, DEMO_LOGINS["member"])
    copies = [copy_of(app, here), copy_of(app, elsewhere)]
    assert all(copy.get("/").status_code == 200 for copy in copies)
    elsewhere.post("/account/sign-out-everywhere")
    assert [copy.get("/").status_code for copy in copies] == [302, 302]
    assert here.get("/").status_code == 302
    # A new sign-in works, and clears away the rows of the sessions that ended.
    assert sign_in(app.test_client(), DEMO_LOGINS["member"]).status_code == 303
    assert sessions_of(app, "member") == 1


def test_a_session_ends_when_its_hours_are_up_however_it_is_used(app, signed_in, monkeypatch):
    client = signed_in("treasury")
    lifetime = app.permanent_session_lifetime
    assert lifetime == timedelta(hours=app.config["PERMANENT_SESSION_LIFETIME"] / 3600)
    signed_in_at = utcnow()
    monkeypatch.setattr(
        user_sessions, "utcnow", lambda: signed_in_at + lifetime - timedelta(minutes=1)
    )
    assert client.get("/").status_code == 200
    monkeypatch.setattr(
        user_sessions, "utcnow", lambda: signed_in_at + lifetime + timedelta(seconds=1)
    )
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("old_id", ["{id}:{version}", "{id}", "", "x" * 10_000])
def test_a_cookie_without_a_session_row_is_signed_out(app, client, old_id):
    """Cookies from before sessions had rows ("id:version") sign in again, once."""
    with app.app_context():
        member = person(db.session, "member")
        user_id = old_id.format(id=member.id, version=member.session_version)
    with client.session_transaction() as cookie:
        cookie["_user_id"] = user_id
        cookie["_fresh"] = True
    assert client.get("/").status_code == 302


def test_reading_pages_signed_in_writes_nothing(signed_in, statements):
    client = signed_in("admin")
    statements.clear()
    for path in ("/", "/account/", "/improvements/", "/admin/"):
        assert client.get(path).status_code == 200, path
    assert [s for s in statements if WRITES.match(s)] == []
