"""Security headers on every kind of response, and the session cookie's flags."""

from __future__ import annotations

import pytest

from gains.auth import public
from gains.extensions import db as database
from tests.conftest import DEMO_LOGINS, make_test_app, rolled_back, sign_in

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def assert_hardened(response):
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self' 'nonce-",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp, (response.request.path, directive)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, (response.request.path, name)


@pytest.fixture
def production_app(app, database_url):
    """The app as production runs it (HSTS), with a route that fails for the 500 page."""
    production = make_test_app(database_url, GAINS_ENV="production", PROPAGATE_EXCEPTIONS=False)

    @production.get("/boom-for-test")
    @public
    def boom():
        raise RuntimeError("a bug")

    with rolled_back(production):
        yield production
    with production.app_context():
        for engine in database.engines.values():
            engine.dispose()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/auth/sign-in", 200),  # HTML page
        ("/healthz", 200),  # JSON
        ("/assets/app/app.css", 200),  # static asset
        ("/no-such-page", 404),  # error page
        ("/improvements/", 302),  # redirect to sign in
    ],
)
def test_anonymous_responses_carry_the_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_hardened(response)
    response.close()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/dashboards/treasury", 403),  # refused
        ("GET", "/dashboards/treasury/cumulative.csv", 403),
        ("POST", "/improvements/", 405),  # method not allowed
        ("GET", "/improvements/999999", 404),
        ("GET", "/improvements/", 200),
    ],
)
def test_signed_in_responses_carry_the_headers(client, method, path, status):
    assert sign_in(client, DEMO_LOGINS["member"]).status_code == 303
    response = client.open(path, method=method)
    assert response.status_code == status
    assert_hardened(response)


def test_exports_carry_the_headers(client):
    assert sign_in(client, DEMO_LOGINS["treasury"]).status_code == 303
    response = client.get("/dashboards/treasury/cumulative.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert_hardened(response)


def test_production_adds_hsts_even_on_a_server_error(production_app):
    client = production_app.test_client()
    for path, status in (("/healthz", 200), ("/boom-for-test", 500)):
        response = client.get(path)
        assert response.status_code == status
        assert_hardened(response)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Nothing you entered has been saved" in response.get_data(as_text=True)


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_the_session_cookie_is_httponly_and_lax(client):
    response = sign_in(client, DEMO_LOGINS["member"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_starts_a_fresh_session(app, client):
    """Session fixation: whatever was in the session before sign-in does not survive it."""
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
    assert sign_in(client, DEMO_LOGINS["member"]).status_code == 303
    with client.session_transaction() as after:
        assert "planted" not in after
        assert "_user_id" in after
