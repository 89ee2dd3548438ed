"""Bearer tokens on /api/v1: default deny with 401 problems, never the session cookie."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gains.extensions import db as database
from gains.models import ApiToken
from gains.models.base import utcnow
from tests.api.conftest import assert_problem
from tests.support.factories import person

PUBLIC = {"api_docs.openapi_json", "api_docs.docs"}


def api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]


def test_every_api_route_answers_anonymous_requests_with_a_401_problem(app, client):
    rules = [r for r in api_rules(app) if r.endpoint not in PUBLIC]
    assert len(rules) >= 15
    for rule in rules:
        path = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            body = assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert body["type"].endswith("#problem-unauthorised")


def test_the_document_and_docs_page_are_public(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_a_valid_token_reads_and_the_session_cookie_never_does(signed_in, bearer):
    client = signed_in("manager")
    assert client.get("/").status_code == 200  # signed in on the web
    assert_problem(client.get("/api/v1/departments"), 401)
    response = client.get("/api/v1/departments", headers=bearer("manager"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"


def test_unknown_and_malformed_tokens_are_refused(client):
    for header in ("Bearer gains_nope", "Bearer", "Basic abc", "bearer ", "Token gains_x"):
        assert_problem(client.get("/api/v1/departments", headers={"Authorization": header}), 401)


def _token_row(app, headers) -> ApiToken:
    from gains.services.people.api_tokens import hash_secret

    secret = headers["Authorization"].split(" ", 1)[1]
    return database.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))
    ).one()


def test_expired_and_revoked_tokens_are_refused(app, client, bearer):
    expired, revoked = bearer("member"), bearer("member")
    with app.app_context():
        _token_row(app, expired).expires_at = utcnow() - timedelta(seconds=1)
        _token_row(app, revoked).revoked_at = utcnow()
        database.session.commit()
    assert_problem(client.get("/api/v1/departments", headers=expired), 401)
    assert_problem(client.get("/api/v1/departments", headers=revoked), 401)


def test_a_deactivated_users_tokens_stop_working(app, client, bearer):
    headers = bearer("member")
    assert client.get("/api/v1/departments", headers=headers).status_code == 200
    with app.app_context():
        person(database.session, "member").active = False
        database.session.commit()
    assert_problem(client.get("/api/v1/departments", headers=headers), 401)


def test_signing_out_everywhere_does_not_revoke_tokens(app, client, bearer):
    """Decision: tokens belong to systems and are revoked one by one (see services)."""
    headers = bearer("member")
    with app.app_context():
        person(database.session, "member").session_version += 1
        database.session.commit()
    assert client.get("/api/v1/departments", headers=headers).status_code == 200


def test_use_is_noted_on_the_token(app, client, bearer):
    headers = bearer("member")
    with app.app_context():
        assert _token_row(app, headers).last_used_at is None
    client.get("/api/v1/departments", headers=headers)
    with app.app_context():
        assert _token_row(app, headers).last_used_at is not None


def test_writes_need_no_csrf_token(app, client, bearer, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/api/v1/improvements", json={"title": "x"}, headers=bearer("member"))
    assert_problem(response, 422)  # validated, not refused for CSRF


def test_security_headers_on_json_and_problems(client, bearer):
    for response in (
        client.get("/api/v1/departments", headers=bearer("member")),
        client.get("/api/v1/departments"),
        client.get("/api/v1/openapi.json"),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
