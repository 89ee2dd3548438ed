"""Your account page, signing out everywhere, and the public set-password page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import AuditEvent
from gains.models.base import utcnow
from gains.services.people import account_links, accounts
from tests.conftest import DEMO_LOGINS, sign_in
from tests.support.factories import person

INVALID = "This link cannot be used"


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def latest_action(app) -> str:
    with app.app_context():
        return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()


def make_link(app, role: str = "member", **kwargs) -> str:
    """A set-password link for a demo person, issued by the demo admin, as a path."""
    with app.app_context():
        admin = person(db.session, "admin")
        user = person(db.session, role)
        link = account_links.issue_link(admin, user, secret_key=app.config["SECRET_KEY"], **kwargs)
        db.session.commit()
        return f"/account/set-password/{link.token}"


def test_every_role_has_an_account_page(app, signed_in, role):
    client = signed_in(role)
    html = client.get("/account/").get_data(as_text=True)
    assert DEMO_LOGINS[role] in html
    assert "Change your password" in html and "Sign out everywhere" in html


def test_changing_your_password_ends_your_other_sessions_only(app, signed_in):
    here = signed_in("member")
    elsewhere = app.test_client()
    sign_in(elsewhere, DEMO_LOGINS["member"])
    before = audit_count(app)
    wrong = here.post(
        "/account/password",
        data={
            "current_password": "nope",
            "password": "new long password",
            "confirm": "new long password",
        },
    )
    assert wrong.status_code == 422
    assert "Your current password is not correct" in wrong.get_data(as_text=True)
    mismatch = here.post(
        "/account/password",
        data={
            "current_password": "gains-demo-2026",
            "password": "new long password",
            "confirm": "other",
        },
    )
    assert mismatch.status_code == 422
    assert "The two passwords do not match" in mismatch.get_data(as_text=True)
    assert audit_count(app) == before
    done = here.post(
        "/account/password",
        data={
            "current_password": "gains-demo-2026",
            "password": "new long password",
            "confirm": "new long password",
        },
    )
    assert done.status_code == 303
    assert audit_count(app) == before + 1 and latest_action(app) == "user.password_changed"
    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert sign_in(app.test_client(), DEMO_LOGINS["member"], "new long password").status_code == 303


def test_sign_out_everywhere_ends_every_session_this_one_too(app, signed_in):
    here = signed_in("manager")
    elsewhere = app.test_client()
    sign_in(elsewhere, DEMO_LOGINS["manager"])
    assert elsewhere.get("/").status_code == 200
    assert here.get("/account/sign-out-everywhere").status_code == 405
    before = audit_count(app)
    response = here.post("/account/sign-out-everywhere")
    assert response.status_code == 303 and response.headers["Location"] == "/auth/sign-in"
    assert audit_count(app) == before + 1 and latest_action(app) == "user.signed_out_everywhere"
    assert here.get("/").status_code == 302
    assert elsewhere.get("/").status_code == 302


def test_an_old_session_cookie_is_refused_after_sign_out_everywhere(app, signed_in):
    """A copied cookie (the same session, replayed from another machine) stops working."""
    here = signed_in("member")
    stolen = app.test_client()
    cookie = here.get_cookie("session")
    stolen.set_cookie("session", cookie.value)
    assert stolen.get("/").status_code == 200
    here.post("/account/sign-out-everywhere")
    assert stolen.get("/").status_code == 302


def test_a_link_sets_the_password_once(app, client):
    path = make_link(app)
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Choose a new password" in html and 'content="no-referrer"' in html
    before = audit_count(app)
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert f"{accounts.MIN_PASSWORD_LENGTH} to" in short.get_data(as_text=True)
    mismatch = client.post(path, data={"password": "long enough now", "confirm": "something else"})
    assert mismatch.status_code == 422
    assert audit_count(app) == before
    done = client.post(path, data={"password": "long enough now", "confirm": "long enough now"})
    assert done.status_code == 303
    assert audit_count(app) == before + 1 and latest_action(app) == "user.password_set"
    again = client.get(path)
    assert again.status_code == 404 and INVALID in again.get_data(as_text=True)
    reuse = client.post(
        path, data={"password": "a second password", "confirm": "a second password"}
    )
    assert reuse.status_code == 404
    assert audit_count(app) == before + 1
    assert sign_in(client, DEMO_LOGINS["member"], "long enough now").status_code == 303


def test_setting_a_password_signs_out_old_sessions(app, signed_in):
    old = signed_in("member")
    path = make_link(app)
    app.test_client().post(path, data={"password": "long enough now", "confirm": "long enough now"})
    assert old.get("/").status_code == 302


@pytest.mark.parametrize(
    "how", ["tampered", "expired", "password_changed", "deactivated", "garbage"]
)
def test_every_bad_link_gets_the_same_answer(app, client, how):
    issued_at = utcnow() - timedelta(hours=2) if how == "expired" else None
    path = make_link(app, now=issued_at)
    if how == "tampered":
        path = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    elif how == "garbage":
        path = "/account/set-password/not-a-token"
    elif how in ("password_changed", "deactivated"):
        with app.app_context():
            member = person(db.session, "member")
            if how == "password_changed":
                member.set_password("changed elsewhere")
            else:
                member.active = False
                member.session_version += 1
            db.session.commit()
    for response in (
        client.get(path),
        client.post(path, data={"password": "x" * 12, "confirm": "x" * 12}),
    ):
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert INVALID in html and "Ask your administrator for a new link" in html
        assert "<form" not in html.split("govuk-main-wrapper")[1]


def test_a_signed_in_visitor_is_asked_to_sign_out_first(app, signed_in):
    client = signed_in("admin")
    path = make_link(app)
    response = client.get(path)
    assert response.status_code == 409
    assert "Sign out to use this link" in response.get_data(as_text=True)
