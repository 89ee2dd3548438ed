"""The API tokens page: make a token (shown once), list and revoke."""

from __future__ import annotations

import re

from sqlalchemy import select

from gains.extensions import db
from gains.models import ApiToken, AuditEvent

SECRET = re.compile(r'data-testid="token-secret">(gains_[A-Za-z0-9_-]+)<')


def make_token(client, name="Nightly export", days="30"):
    return client.post("/account/tokens/", data={"name": name, "lifetime_days": days})


def test_the_page_is_linked_from_everyones_account_page(signed_in, role):
    client = signed_in(role)
    assert 'href="/account/"' in client.get("/").get_data(as_text=True)
    assert 'href="/account/tokens/"' in client.get("/account/").get_data(as_text=True)
    assert client.get("/account/tokens/").status_code == 200


def test_a_new_token_is_shown_once_and_works(app, signed_in):
    client = signed_in("member")
    response = make_token(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(response.get_data(as_text=True)).group(1)
    listing = client.get("/account/tokens/").get_data(as_text=True)
    assert secret not in listing and secret[:12] in listing and "Nightly export" in listing
    api = app.test_client()  # no session: the token alone
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/departments", headers=headers).status_code == 200


def test_form_problems_are_shown_and_nothing_is_made(app, signed_in):
    client = signed_in("member")
    response = make_token(client, name="", days="3")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a name for the token" in page and "govuk-error-summary" in page
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).all() == []


def test_revoking_stops_the_token_and_is_audited(app, signed_in):
    client = signed_in("member")
    secret = SECRET.search(make_token(client).get_data(as_text=True)).group(1)
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    response = client.post(f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 303
    assert "Revoked" in client.get("/account/tokens/").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/departments", headers=headers).status_code == 401
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "api_tokens")
        ).all()
    assert sorted(actions) == ["api_token.created", "api_token.revoked"]


def test_someone_elses_token_cannot_be_revoked(app, signed_in, client):
    owner = signed_in("member")
    make_token(owner)
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    owner.post("/auth/sign-out")
    other = signed_in("manager")
    assert other.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None
