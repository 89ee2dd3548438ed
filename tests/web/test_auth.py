"""Sign-in, sign-out, the default-deny rule and CSRF."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_LOGINS, sign_in
from tests.support.factories import person

PUBLIC_ENDPOINTS = {
    "auth.sign_in",
    # Organisation sign-in: starting it, and the provider's redirect back (issue 23).
    "auth.organisation_start",
    "auth.organisation_callback",
    "account.set_password",
    "main.health",
    "static",
    "api_docs.openapi_json",
    "api_docs.docs",
}
# The public register's blueprint is open as a whole (tests/web/test_public.py checks that
# every one of its routes shows only published data).
PUBLIC_BLUEPRINTS = ("public.",)


def is_public_endpoint(endpoint: str) -> bool:
    return endpoint in PUBLIC_ENDPOINTS or endpoint.startswith(PUBLIC_BLUEPRINTS)


def routes(app):
    yield from app.url_map.iter_rules()


def concrete_path(rule) -> str:
    values = {name: 1 for name in rule.arguments}
    if rule.endpoint == "static":
        values = {"filename": "app/app.css"}
    return rule.build(values, append_unknown=False)[1]


def test_anonymous_visitors_are_sent_to_sign_in_from_every_private_route(app, client):
    private = [
        rule
        for rule in routes(app)
        if not is_public_endpoint(rule.endpoint) and not rule.rule.startswith("/api/")
    ]
    assert private, "there should be private routes"
    for rule in private:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(concrete_path(rule), method=method)
            assert response.status_code == 302, (rule, method, response.status_code)
            assert response.headers["Location"].startswith("/auth/sign-in"), rule


def test_the_public_endpoints_are_exactly_these(app_without_database):
    public = {
        rule.endpoint
        for rule in routes(app_without_database)
        if getattr(app_without_database.view_functions[rule.endpoint], "is_public", False)
    }
    expected = {
        rule.endpoint for rule in routes(app_without_database) if is_public_endpoint(rule.endpoint)
    }
    assert public | {"static"} == expected
    assert any(endpoint.startswith("public.") for endpoint in public)


def test_sign_in_page_renders(client):
    page = client.get("/auth/sign-in")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1" in html and "Sign in to Gains" in html
    assert 'autocomplete="current-password"' in html


@pytest.mark.parametrize("role_name", list(DEMO_LOGINS))
def test_each_demo_role_signs_in_and_lands_on_home(client, role_name):
    response = sign_in(client, DEMO_LOGINS[role_name])
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "What waits for you" in home.get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    wrong_password = sign_in(client, DEMO_LOGINS["member"], "not-the-password")
    unknown = sign_in(client, "nobody@example.org", "not-the-password")
    assert wrong_password.status_code == unknown.status_code == 422
    for response in (wrong_password, unknown):
        html = response.get_data(as_text=True)
        assert "Enter a correct email address and password" in html
        assert 'href="#email"' in html  # the error summary links to the field
    assert client.get("/").status_code == 302


def test_empty_form_shows_field_errors(client):
    response = client.post("/auth/sign-in", data={"email": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter your email address" in html and "Enter your password" in html
    assert "<title>Error: Sign in" in html


def test_deactivated_account_cannot_sign_in(app, client):
    with app.app_context():
        from gains.extensions import db

        member = person(db.session, "member")
        member.active = False
        db.session.commit()
    assert sign_in(client, DEMO_LOGINS["member"]).status_code == 422


def test_next_parameter_only_follows_local_paths(client):
    local = client.post(
        "/auth/sign-in?next=/improvements/",
        data={"email": DEMO_LOGINS["member"], "password": "gains-demo-2026"},
    )
    assert local.headers["Location"] == "/improvements/"
    client.post("/auth/sign-out")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            f"/auth/sign-in?next={target}",
            data={"email": DEMO_LOGINS["member"], "password": "gains-demo-2026"},
        )
        assert response.headers["Location"] == "/", target
        client.post("/auth/sign-out")


@pytest.mark.parametrize(
    "target",
    [
        "/%0d%0aSet-Cookie:%20x=1",  # CR/LF: a header that cannot be sent
        "/%0aimprovements/",
        "/improvements/%09",  # tab
        "/%00",
        "/%5Cevil.example/",  # "/\\evil.example/": browsers read it as "//evil.example/"
        "/\\evil.example/",
        "%5C%5Cevil.example/",
        "improvements/",  # not a path from the root
        "/%E2%80%AEevil",  # right-to-left override
    ],
)
def test_next_with_control_characters_or_backslashes_goes_home(client, target):
    response = client.post(
        f"/auth/sign-in?next={target}",
        data={"email": DEMO_LOGINS["member"], "password": "gains-demo-2026"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # signed in, and sent home


def test_sign_out_needs_post_and_ends_the_session(signed_in):
    client = signed_in("manager")
    assert client.get("/auth/sign-out").status_code == 405
    response = client.post("/auth/sign-out")
    assert response.status_code == 303
    assert client.get("/").status_code == 302


def test_bumping_the_session_version_signs_out_everywhere(app, signed_in):
    client = signed_in("member")
    assert client.get("/").status_code == 200
    with app.app_context():
        from gains.extensions import db

        member = person(db.session, "member")
        member.session_version += 1
        db.session.commit()
    assert client.get("/").status_code == 302


def test_sign_in_rotates_the_session(client):
    client.get("/auth/sign-in")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
    sign_in(client, DEMO_LOGINS["member"])
    with client.session_transaction() as after:
        assert "planted" not in after


def test_csrf_token_is_required_when_enabled(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = sign_in(client, DEMO_LOGINS["member"])
    assert refused.status_code == 400
    assert "form expired" in refused.get_data(as_text=True)

    page = client.get("/auth/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    accepted = client.post(
        "/auth/sign-in",
        data={"email": DEMO_LOGINS["member"], "password": "gains-demo-2026", "csrf_token": token},
    )
    assert accepted.status_code == 303


def test_htmx_requests_carry_the_csrf_token_from_the_layout(app, signed_in, monkeypatch):
    client = signed_in("member")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    html = client.get("/").get_data(as_text=True)
    header = html.split('hx-headers="')[1].split('"', 1)[0]
    token = header.split("X-CSRFToken&#34;: &#34;")[1].split("&#34;")[0]
    assert client.post("/auth/sign-out").status_code == 400
    assert client.post("/auth/sign-out", headers={"X-CSRFToken": token}).status_code == 303


def test_security_headers_on_pages_errors_and_json(client):
    for path in ("/auth/sign-in", "/no-such-page", "/healthz"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_inline_script_nonce_matches_the_policy(client):
    response = client.get("/auth/sign-in")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.get_data(as_text=True)


def test_health_check_is_public_and_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
